import { useStore } from 'zustand'
import { SQLITE_MIGRATION_FLAG, UX_LABS_FLAG_DEFAULTS } from '@zustand-sqlite/store-labs'
import type { ContentScaling, ThemeMode } from '@zustand-sqlite/store-ui'
import type { AppStores } from '../storage'

const labsDescriptions: Record<string, string> = {
  labsHighPerformance: 'High performance mode',
  labsAutoHideComposer: 'Auto-hide the composer',
  labsScreenWakeLock: 'Keep the screen on while a reply streams',
  labsShowShortcutBar: 'Shortcut bar',
  labsComposerAttachmentsInline: 'Attachments inline in the composer',
  labsLosslessImages: 'Lossless images',
  labsSingleDollarLatex: 'Single-dollar LaTeX',
  [SQLITE_MIGRATION_FLAG]: 'Store my chats in SQLite (applies at the next start)',
}

/** UI preferences and the UX labs panel, whose `sqlite-migration` switch is the user's say in the rollout. */
export function SettingsPanel({ stores }: { stores: AppStores }) {
  const ui = useStore(stores.ui)
  const enabledFlags = useStore(stores.labs, (s) => s.enabledFlags)
  const labs = stores.labs.getState()
  const folders = useStore(stores.folders, (s) => s.enableFolders)
  const flags = [...new Set([...Object.keys(UX_LABS_FLAG_DEFAULTS), ...Object.keys(enabledFlags)])]
  return (
    <aside className="panel" aria-label="Settings">
      <section>
        <h3>Preferences</h3>
        <label className="row">
          Theme
          <select
            aria-label="Theme"
            value={ui.themeMode}
            onChange={(event) => ui.setThemeMode(event.target.value as ThemeMode)}
          >
            <option value="system">System</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
        <label className="row">
          Text size
          <select
            aria-label="Text size"
            value={ui.contentScaling}
            onChange={(event) => ui.setContentScaling(event.target.value as ContentScaling)}
          >
            <option value="xs">Small</option>
            <option value="sm">Medium</option>
            <option value="md">Large</option>
          </select>
        </label>
        <Toggle label="Enter makes a new line" checked={ui.enterIsNewline} onChange={ui.setEnterIsNewline} />
        <Toggle label="Messages full width" checked={ui.messageFullWidth} onChange={ui.setMessageFullWidth} />
        <Toggle label="Plain text (no markdown)" checked={ui.disableMarkdown} onChange={ui.setDisableMarkdown} />
        <Toggle
          label="Folders in the drawer"
          checked={folders}
          onChange={() => stores.folders.getState().toggleEnableFolders()}
        />
      </section>
      <section>
        <h3>Labs</h3>
        {flags.map((name) => (
          <Toggle
            key={name}
            label={labsDescriptions[name] ?? name}
            checked={enabledFlags[name] ?? labs.getFlag(name)}
            onChange={(enabled) => stores.labs.getState().setFlag(name, enabled)}
            testId={`labs-${name}`}
          />
        ))}
      </section>
    </aside>
  )
}

function Toggle({
  label,
  checked,
  onChange,
  testId,
}: {
  label: string
  checked: boolean
  onChange: (checked: boolean) => void
  testId?: string
}) {
  return (
    <label className="row toggle">
      <span>{label}</span>
      <input
        type="checkbox"
        checked={checked}
        onChange={(event) => onChange(event.target.checked)}
        data-testid={testId}
      />
    </label>
  )
}
