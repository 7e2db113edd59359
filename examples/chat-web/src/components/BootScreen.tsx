import { useEffect } from 'react'
import type { MigrationProgress } from '@zustand-sqlite/migrate'

const steps: Record<MigrationProgress['step'], string> = {
  read: 'Reading your chats and settings',
  backup: 'Keeping a backup of them',
  write: 'Writing them into SQLite',
  verify: 'Checking every store against the original',
  done: 'Done',
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

/** What shows while the app starts: a progress bar when the start moves the data. */
export function BootScreen({
  progress,
  error,
}: {
  progress: MigrationProgress | undefined
  error: string | undefined
}) {
  const step = progress?.step
  useEffect(() => {
    if (step === undefined) return
    const shown = (window.chatWebProgress ??= [])
    if (shown.at(-1) !== step) shown.push(step)
  }, [step])
  if (error !== undefined)
    return (
      <div className="boot" role="alert">
        <h1>The app could not start</h1>
        <p className="boot-error">{error}</p>
      </div>
    )
  if (progress === undefined)
    return (
      <div className="boot" aria-busy="true">
        <p>Loading…</p>
      </div>
    )
  // Stores done count most; within a store, the bytes read and written.
  const fraction = Math.min(
    1,
    (progress.storesDone + (progress.bytesTotal > 0 ? progress.bytes / progress.bytesTotal : 0) * 0.5) /
      Math.max(1, progress.storesTotal),
  )
  return (
    <div className="boot" aria-busy="true" data-testid="migration-progress">
      <h1>Moving your data to SQLite</h1>
      <p>{steps[progress.step]}…</p>
      <progress max={1} value={fraction} aria-label="Migration progress" />
      <p className="muted">
        {progress.storesDone} of {progress.storesTotal} stores · {mib(progress.bytes)} of {mib(progress.bytesTotal)}{' '}
        read · {progress.rows.toLocaleString()} rows written
      </p>
      <p className="muted small">Your data stays where it was until every store is verified.</p>
    </div>
  )
}
