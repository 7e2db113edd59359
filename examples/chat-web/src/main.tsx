import { StrictMode, useEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'
import type { MigrationProgress } from '@zustand-sqlite/migrate'
import { App } from './components/App'
import { BootScreen } from './components/BootScreen'
import { boot } from './storage'
import type { Boot } from './storage'
import { snapshotOf } from './view'
import './styles.css'

declare global {
  interface Window {
    /** What the app shows, as data, and how it started: read by the browser test and handy in the console. */
    chatWeb?: { boot: Boot; snapshot(): unknown; flush(): Promise<void> }
    /** The migration steps the start screen showed, in order (for the browser test). */
    chatWebProgress?: string[]
  }
}

// Started once, as the module loads (not in an effect, which React may run twice).
let showProgress: (progress: MigrationProgress) => void = () => undefined
const booting = boot((progress) => showProgress(progress))

function Root() {
  const [started, setStarted] = useState<Boot>()
  const [progress, setProgress] = useState<MigrationProgress>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    showProgress = setProgress
    booting.then(
      (result) => {
        const stores = Object.values(result.stores)
        window.chatWeb = {
          boot: result,
          snapshot: () => snapshotOf(result.stores),
          flush: async () => {
            await Promise.all(
              stores.map((s) => ('flush' in s.persist ? (s.persist.flush as () => Promise<void>)() : undefined)),
            )
          },
        }
        setStarted(result)
      },
      (cause: unknown) => setError(cause instanceof Error ? cause.message : String(cause)),
    )
  }, [])
  if (started === undefined) return <BootScreen progress={progress} error={error} />
  return <App boot={started} />
}

const root = document.getElementById('root')
if (root === null) throw new Error('index.html has no #root')
createRoot(root).render(
  <StrictMode>
    <Root />
  </StrictMode>,
)
