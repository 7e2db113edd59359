import { useState } from 'react'
import { useStore } from 'zustand'
import type { Boot } from '../storage'
import { status } from '../status'
import { ChatView } from './ChatView'
import { Drawer } from './Drawer'
import { SettingsPanel } from './SettingsPanel'
import { StoragePanel } from './StoragePanel'

type Panel = 'storage' | 'settings' | null

/** The app: the drawer, the open chat, and a side panel (storage or settings). */
export function App({ boot }: { boot: Boot }) {
  const { stores } = boot
  const themeMode = useStore(stores.ui, (s) => s.themeMode)
  const scaling = useStore(stores.ui, (s) => s.contentScaling)
  const [openId, setOpenId] = useState<string | null>(() => stores.chats.getState().conversations[0]?.id ?? null)
  const [panel, setPanel] = useState<Panel>(() => (new URLSearchParams(location.search).get('panel') as Panel) ?? null)
  const onSQLite = stores.chats.storage === 'sqlite'
  const dark = themeMode === 'dark' || (themeMode === 'system' && matchMedia('(prefers-color-scheme: dark)').matches)
  return (
    <div className={`app ${dark ? 'dark' : 'light'} scale-${scaling}`}>
      <header className="topbar">
        <span className="brand">Chat</span>
        <StorageBadge onSQLite={onSQLite} />
        <RoleBadge onSQLite={onSQLite} />
        <span className="spacer" />
        <button
          type="button"
          className={panel === 'storage' ? 'active' : ''}
          onClick={() => setPanel(panel === 'storage' ? null : 'storage')}
        >
          Storage
        </button>
        <button
          type="button"
          className={panel === 'settings' ? 'active' : ''}
          onClick={() => setPanel(panel === 'settings' ? null : 'settings')}
        >
          Settings &amp; Labs
        </button>
      </header>
      <StartError />
      <div className="main">
        <Drawer stores={stores} openId={openId} onOpen={setOpenId} />
        <ChatView stores={stores} conversationId={openId} onOpen={setOpenId} />
        {panel === 'storage' && <StoragePanel boot={boot} />}
        {panel === 'settings' && <SettingsPanel stores={stores} />}
      </div>
    </div>
  )
}

function StorageBadge({ onSQLite }: { onSQLite: boolean }) {
  return (
    <span
      className={`badge ${onSQLite ? 'good' : 'neutral'}`}
      data-testid="storage-badge"
      data-storage={onSQLite ? 'sqlite' : 'legacy'}
    >
      {onSQLite ? 'SQLite · OPFS' : 'IndexedDB + localStorage'}
    </span>
  )
}

/** Says which tab writes the database: a follower's writes go through the writer. */
function RoleBadge({ onSQLite }: { onSQLite: boolean }) {
  const role = useStore(status, (s) => s.role)
  if (!onSQLite || role === undefined) return null
  return role === 'writer' ? (
    <span className="badge good" data-testid="tab-role" data-role="writer" title="This tab holds the database">
      This tab writes
    </span>
  ) : (
    <span
      className="badge warn"
      data-testid="tab-role"
      data-role="follower"
      title="Another tab holds the database; this tab's changes are sent to it and arrive here when committed"
    >
      Another tab writes · changes go through it
    </span>
  )
}

/** Why the start did not do all the rollout asked (the database did not open, ...): the app runs on, on IndexedDB. */
function StartError() {
  const message = useStore(status, (s) => s.startError)
  if (message === undefined) return null
  return (
    <p className="banner" role="alert">
      {message}
    </p>
  )
}
