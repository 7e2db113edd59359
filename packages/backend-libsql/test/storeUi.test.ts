import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { whenHydrated } from '@zustand-sqlite/core'
import { createUIPreferencesStore } from '@zustand-sqlite/store-ui'
import { createLibsqlBackend } from '@zustand-sqlite/backend-libsql'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('a store on the libsql backend', () => {
  it('keeps UI preferences across a reopen of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zs-libsql-'))
    dirs.push(dir)
    const file = join(dir, 'app.db')

    const backend = await createLibsqlBackend({ file })
    const ui = createUIPreferencesStore({ backend })
    await whenHydrated(ui)
    ui.getState().setCenterMode('wide')
    ui.getState().setPreferredLanguage('de-DE')
    ui.getState().incrementActionCounter('export-share')
    ui.getState().setPanelGroupCollapsed('models', true)
    await ui.persist.flush()
    await backend.close()

    const again = await createLibsqlBackend({ file })
    try {
      const reopened = createUIPreferencesStore({ backend: again })
      await whenHydrated(reopened)
      const state = reopened.getState()
      expect(state.centerMode).toBe('wide')
      expect(state.preferredLanguage).toBe('de-DE')
      expect(state.actionCounters).toEqual({ 'export-share': 1 })
      expect(state.panelGroupCollapseStates).toEqual({ models: true })
    } finally {
      await again.close()
    }
  })
})
