import { readFileSync } from 'node:fs'
import type { Backend, CommitInfo } from '@zustand-sqlite/core'
import { createDeviceStore, getDevice, importLegacyDevice } from '@zustand-sqlite/store-device'
import {
  createUXLabsStore,
  importLegacyUXLabs,
  readUXLabsFlag,
  SQLITE_MIGRATION_FLAG,
} from '@zustand-sqlite/store-labs'
import { createUIPreferencesStore, importLegacyUIPreferences } from '@zustand-sqlite/store-ui'

/** What a browser's localStorage held for the app before the switch: the stores' `{ state, version }` envelopes. */
const legacyLocalStorage = JSON.parse(
  readFileSync(new URL('./legacy-localStorage.json', import.meta.url), 'utf8'),
) as Record<string, string>

/**
 * The app's settings stores (device, UI preferences, UX labs) on the same database as its chats. On the
 * first run, the data of the old localStorage stores is imported; on every run, the SQLite rollout
 * flag is read before any store exists, as an app would before choosing its stores.
 */
export async function openAppSettings(
  backend: Backend,
  log: (line: string) => void,
  onCommit: (info: CommitInfo) => void,
) {
  const rolledOut = await readUXLabsFlag(backend, SQLITE_MIGRATION_FLAG)
  log(`Flag ${SQLITE_MIGRATION_FLAG}, read before any store exists: ${rolledOut ? 'on' : 'off'}`)
  const firstRun = (await getDevice(backend)).createdAt === null

  const device = createDeviceStore({ backend, generateId: !firstRun, onCommit })
  const ui = createUIPreferencesStore({ backend, onCommit })
  const labs = createUXLabsStore({ backend, onCommit })

  if (firstRun) {
    // The import runs each store's migration chain (app-ui is at version 1 here) and keeps stale keys.
    const importedDevice = importLegacyDevice(legacyLocalStorage['app-device'])
    const importedUI = importLegacyUIPreferences(legacyLocalStorage['app-ui'])
    const importedLabs = importLegacyUXLabs(legacyLocalStorage['app-ux-labs'])
    if (importedDevice) device.setState(importedDevice)
    if (importedUI) ui.setState(importedUI)
    if (importedLabs) labs.setState(importedLabs)
    labs.getState().setFlag(SQLITE_MIGRATION_FLAG, true)
    log('Imported the legacy localStorage stores app-device, app-ui (version 1) and app-ux-labs (version 1).')
  }
  await Promise.all([device.persist.flush(), ui.persist.flush(), labs.persist.flush()])

  const { centerMode, enterIsNewline, disableMarkdown } = ui.getState()
  log(`Device id: ${device.getState().getLocalDeviceId()} (the same on every run)`)
  const staleZenMode = (ui.getState() as unknown as Record<string, unknown>)['zenMode']
  log(
    `UI: centerMode ${centerMode}, enterIsNewline ${enterIsNewline}, disableMarkdown ${disableMarkdown}, stale zenMode kept: ${JSON.stringify(staleZenMode)}`,
  )
  log(
    `Labs: high performance ${labs.getState().getLabsHighPerformance() ? 'on' : 'off'}, labsChatBarAlt kept as ${JSON.stringify(labs.getState().getExperiment('labsChatBarAlt'))}`,
  )

  // One setting changed: one row written.
  ui.getState().incrementActionCounter('example-runs')
  await ui.persist.flush()
  log(`Runs counted in the UI store: ${ui.getState().actionCounters['example-runs'] ?? 0}`)
  return { device, ui, labs }
}
