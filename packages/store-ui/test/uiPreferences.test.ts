import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { hydrated } from '@zustand-sqlite/core/testing'
import type { CommitInfo } from '@zustand-sqlite/core'
import {
  createUIPreferencesState,
  createUIPreferencesStore,
  getUIPreferences,
  importLegacyUIPreferences,
  partializeUIPreferences,
  resetUIPreferences,
  uiPreferencesDefaults,
  uiPreferencesLegacyPersistOptions,
  updateUIPreferences,
} from '@zustand-sqlite/store-ui'
import type { PersistedUIPreferences, UIPreferencesStore } from '@zustand-sqlite/store-ui'
import { databaseOn, engines, memoryLocalStorage, failure } from '../../../test-utils/backends'

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
const defaults = (): PersistedUIPreferences => partializeUIPreferences(uiPreferencesDefaults())

describe('importLegacyUIPreferences', () => {
  it('runs the app migration chain from version 0, keeping stale keys', () => {
    expect(importLegacyUIPreferences(fixture('app-ui.v0.json'))).toEqual({
      ...defaults(),
      preferredLanguage: 'de-DE',
      // 0 -> 1: enterToSend false becomes enterIsNewline true; 1 -> 2 and 2 -> 3 reset these three.
      enterIsNewline: true,
      contentScaling: 'sm',
      doubleClickToEdit: false,
      centerMode: 'full',
      // renderMarkdown: true, and no disableMarkdown.
      disableMarkdown: false,
      actionCounters: { 'export-share': 2 },
      enterToSend: false,
      renderMarkdown: true,
      showPurposeFinder: false,
      zenMode: 'clean',
      experimentalLabs: true,
    })
  })

  it('runs the chain from versions 1 and 2', () => {
    expect(importLegacyUIPreferences(fixture('app-ui.v1.json'))).toEqual({
      ...defaults(),
      preferredLanguage: 'en-GB',
      centerMode: 'full',
      contentScaling: 'sm',
      doubleClickToEdit: false,
      enterIsNewline: false,
      disableMarkdown: true,
      dismissals: { 'translation-warning': true },
      actionCounters: { 'share-chat-link': 1, 'composer-alt-enter': 3 },
      enterToSend: true,
      renderMarkdown: false,
      showSystemMessages: true,
      zenMode: 'cleaner',
      goofyLabs: true,
    })
    expect(importLegacyUIPreferences(JSON.parse(fixture('app-ui.v2.json')))).toEqual({
      ...defaults(),
      preferredLanguage: 'fr-FR',
      centerMode: 'full',
      complexityMode: 'extra',
      contentScaling: 'xs',
      disableMarkdown: true,
      doubleClickToEdit: true,
      enterIsNewline: true,
      renderCodeLineNumbers: true,
      showPersonaFinder: true,
      showModelsHidden: false,
      composerQuickButton: 'call',
      actionCounters: { 'beam-wizard': 4 },
      panelGroupCollapseStates: { models: true },
      messageTextSize: 'lg',
      showPersonaExamples: true,
    })
  })

  it('takes the current version as it is, filling the added settings with defaults', () => {
    const v3 = JSON.parse(fixture('app-ui.v3.json')) as { state: Record<string, unknown> }
    expect(importLegacyUIPreferences(fixture('app-ui.v3.json'))).toEqual({
      ...v3.state,
      themeMode: 'system',
      fontSize: 14,
      compactMode: false,
    })
    expect(importLegacyUIPreferences(null)).toBeNull()
  })

  it('refuses a version with no migration path, a wrong type and what is not an envelope', async () => {
    expect((await failure(() => importLegacyUIPreferences(fixture('app-ui.v4-unknown.json'))))?.code).toBe(
      'MIGRATION_FAILED',
    )
    expect(await failure(() => importLegacyUIPreferences(fixture('app-ui.v3-bad-type.json')))).toMatchObject({
      code: 'INVALID_LEGACY_DATA',
      path: 'app-ui.centerMode',
    })
    expect((await failure(() => importLegacyUIPreferences('not json')))?.code).toBe('INVALID_LEGACY_DATA')
  })

  it('is the migration of the legacy path too: Zustand persist reads a version 0 blob', () => {
    const { map: storage, storage: localStorage } = memoryLocalStorage({ 'app-ui': fixture('app-ui.v0.json') })
    const store = createStore<UIPreferencesStore>()(
      persist(createUIPreferencesState(), {
        ...uiPreferencesLegacyPersistOptions,
        storage: createJSONStorage(() => localStorage),
      }),
    )
    expect(store.getState()).toMatchObject({ enterIsNewline: true, centerMode: 'full', zenMode: 'clean' })
    store.getState().toggleAixInspector()
    const written = JSON.parse(storage.get('app-ui') ?? '{}') as { state: Record<string, unknown>; version: number }
    expect(written.version).toBe(3)
    expect(written.state).not.toHaveProperty('aixInspector')
  })
})

describe('UI preferences actions', () => {
  it('steps content scaling within xs..md and counts actions as the app does', () => {
    const store = createStore<UIPreferencesStore>()(createUIPreferencesState({ preferredLanguage: 'en-US' }))
    const s = store.getState
    s().increaseContentScaling()
    s().increaseContentScaling()
    expect(s().contentScaling).toBe('md')
    s().decreaseContentScaling()
    s().decreaseContentScaling()
    s().decreaseContentScaling()
    expect(s().contentScaling).toBe('xs')
    s().incrementActionCounter('beam-wizard')
    s().incrementActionCounter('beam-wizard')
    s().resetActionCounter('call-wizard')
    expect(s().actionCounters).toEqual({ 'beam-wizard': 2, 'call-wizard': 0 })
    s().toggleShowModelsStarredOnly()
    s().dismiss('notice')
    s().setPanelGroupCollapsed('models', true)
    expect(s()).toMatchObject({
      showModelsStarredOnly: true,
      dismissals: { notice: true },
      panelGroupCollapseStates: { models: true },
    })
  })
})

describe.each(engines)('UI preferences store on $name', (engine) => {
  const { open, closeAll } = databaseOn(engine)

  it('round-trips every setting through a restart, one row per changed setting', async () => {
    const commits: CommitInfo[] = []
    const first = createUIPreferencesStore({
      backend: await open(),
      initial: { preferredLanguage: 'en-US' },
      onCommit: (c) => commits.push(c),
    })
    await hydrated(first)
    const s = first.getState
    s().setCenterMode('wide')
    await first.persist.flush()
    expect(commits.at(-1)?.tables).toEqual({ ui_preferences: 1 })
    const before = commits.length
    s().toggleAixInspector()
    await first.persist.flush()
    expect(commits.length).toBe(before)

    s().setComplexityMode('extra')
    s().setContentScaling('xs')
    s().setThemeMode('dark')
    s().setFontSize(18)
    s().setCompactMode(true)
    s().setEnterIsNewline(true)
    s().setComposerQuickButton('call')
    s().dismiss('welcome')
    s().incrementActionCounter('beam-wizard')
    s().setPanelGroupCollapsed('models', true)
    await first.persist.flush()
    expect(commits.at(-1)?.rows).toBe(1)
    const expected = partializeUIPreferences(s())
    await closeAll()

    const second = createUIPreferencesStore({ backend: await open(), initial: { preferredLanguage: 'it-IT' } })
    await hydrated(second)
    expect(partializeUIPreferences(second.getState())).toEqual(expected)
    expect(second.getState().aixInspector).toBe(false)
  })

  it('keeps typed columns, the full JSON copy, the state version and the times in one row', async () => {
    const backend = await open()
    const store = createUIPreferencesStore({ backend, initial: { preferredLanguage: 'en-US' } })
    await hydrated(store)
    const before = Date.now()
    store.getState().setFontSize(16)
    await store.persist.flush()
    const rows = await backend.query('SELECT * FROM ui_preferences')
    expect(rows).toHaveLength(1)
    const row = rows[0] as Record<string, unknown>
    expect(row).toMatchObject({
      id: 1,
      preferred_language: 'en-US',
      center_mode: 'full',
      theme_mode: 'system',
      font_size: 16,
      compact_mode: 0,
      complexity_mode: 'pro',
      content_scaling: 'sm',
      version: 3,
    })
    expect(row['updated_at']).toBeGreaterThanOrEqual(before)
    expect(JSON.parse(row['data'] as string)).toEqual({ ...defaults(), preferredLanguage: 'en-US', fontSize: 16 })
  })

  it('stores imported legacy settings with their stale keys, and resets to defaults keeping those keys', async () => {
    const first = createUIPreferencesStore({ backend: await open(), initial: { preferredLanguage: 'en-US' } })
    await hydrated(first)
    const imported = importLegacyUIPreferences(fixture('app-ui.v1.json'))
    if (imported === null) throw new Error('expected settings')
    first.setState(imported)
    await first.persist.flush()
    await closeAll()

    const second = createUIPreferencesStore({ backend: await open(), initial: { preferredLanguage: 'en-US' } })
    await hydrated(second)
    expect(partializeUIPreferences(second.getState())).toEqual(imported)
    second.getState().resetPreferences()
    await second.persist.flush()
    await closeAll()

    const third = createUIPreferencesStore({ backend: await open(), initial: { preferredLanguage: 'en-US' } })
    await hydrated(third)
    expect(partializeUIPreferences(third.getState())).toEqual({
      ...defaults(),
      preferredLanguage: 'en-US',
      enterToSend: true,
      renderMarkdown: false,
      showSystemMessages: true,
      zenMode: 'cleaner',
      goofyLabs: true,
    })
  })

  it('gets, updates one setting in one row, and resets through the query functions', async () => {
    const backend = await open()
    expect(await getUIPreferences(backend)).toEqual({ preferences: defaults(), createdAt: null, updatedAt: null })
    const updated = await updateUIPreferences(backend, { centerMode: 'narrow', dismissals: { a: true } })
    expect(updated.preferences).toEqual({ ...defaults(), centerMode: 'narrow', dismissals: { a: true } })
    expect(updated.createdAt).toEqual(expect.any(Number))
    expect(await getUIPreferences(backend)).toEqual(updated)

    const store = createUIPreferencesStore({ backend })
    await hydrated(store)
    expect(store.getState().centerMode).toBe('narrow')

    const reset = await resetUIPreferences(backend)
    expect(reset.preferences).toEqual(defaults())
    expect(reset.createdAt).toBe(updated.createdAt)
    const inGerman = await resetUIPreferences(backend, { initial: { preferredLanguage: 'de-DE' } })
    expect(inGerman.preferences).toEqual({ ...defaults(), preferredLanguage: 'de-DE' })
  })

  it('refuses a bad update with INVALID_VALUE naming the setting, and writes nothing', async () => {
    const backend = await open()
    const stored = await updateUIPreferences(backend, { fontSize: 20 })
    const cases: [unknown, string][] = [
      [{ fontSize: '20' }, 'ui-preferences.fontSize'],
      [{ fontSize: 200 }, 'ui-preferences.fontSize'],
      [{ centerMode: 'huge' }, 'ui-preferences.centerMode'],
      [{ compactMode: 1 }, 'ui-preferences.compactMode'],
      [{ actionCounters: { x: -1 } }, 'ui-preferences.actionCounters.x'],
      [{ aixInspector: true }, 'ui-preferences.aixInspector'],
      [{ centerMode: 'wide', unknownSetting: true }, 'ui-preferences.unknownSetting'],
    ]
    for (const [patch, path] of cases) {
      expect(await failure(() => updateUIPreferences(backend, patch))).toMatchObject({ code: 'INVALID_VALUE', path })
    }
    expect(await getUIPreferences(backend)).toEqual(stored)
  })
})
