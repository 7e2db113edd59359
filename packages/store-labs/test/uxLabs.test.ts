import { readFileSync } from 'node:fs'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { hydrated } from '@zustand-sqlite/core/testing'
import { writeStoredState } from '@zustand-sqlite/core'
import type { CommitInfo } from '@zustand-sqlite/core'
import {
  createUXLabsState,
  createUXLabsStore,
  flagValue,
  getUXLabs,
  importLegacyUXLabs,
  readUXLabsFlag,
  resetUXLabs,
  SQLITE_MIGRATION_FLAG,
  updateUXLabs,
  UX_LABS_FLAG_DEFAULTS,
  uxLabsDefaults,
  uxLabsLegacyPersistOptions,
  uxLabsDefinition,
  uxLabsSchema,
} from '@zustand-sqlite/store-labs'
import type { UXLabsStore } from '@zustand-sqlite/store-labs'
import { databaseOn, engines, memoryLocalStorage, failure } from '../../../test-utils/backends'

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

const dataOf = (state: UXLabsStore): { enabledFlags: unknown; experiments: unknown } => ({
  enabledFlags: state.enabledFlags,
  experiments: state.experiments,
})

describe('importLegacyUXLabs', () => {
  it('runs the 0 to 1 step of big-AGI 2.0, and keeps every flag and non-boolean value', () => {
    expect(importLegacyUXLabs(fixture('app-ux-labs.v0.json'))).toEqual({
      enabledFlags: {
        ...UX_LABS_FLAG_DEFAULTS,
        labsAttachScreenCapture: true,
        labsCameraDesktop: true,
        labsEnhancedUI: true,
        labsHighPerformance: false,
      },
      experiments: { labsChatBarAlt: 'title' },
    })
  })

  it('imports the flags of big-AGI 2.0 and of the current release', () => {
    expect(importLegacyUXLabs(fixture('app-ux-labs.v1-2.0.json'))).toEqual({
      enabledFlags: {
        ...UX_LABS_FLAG_DEFAULTS,
        labsAttachScreenCapture: true,
        labsCameraDesktop: false,
        labsChatBarAlt: false,
        labsEnhanceCodeBlocks: true,
        labsEnhanceCodeLiveFile: false,
        labsHighPerformance: true,
        labsShowCost: true,
        labsAutoHideComposer: false,
        labsShowShortcutBar: true,
        labsDevMode: false,
        labsDevNoStreaming: false,
      },
      experiments: {},
    })
    const head = JSON.parse(fixture('app-ux-labs.v1-head.json')) as { state: Record<string, boolean> }
    expect(importLegacyUXLabs(head)).toEqual({
      enabledFlags: { ...UX_LABS_FLAG_DEFAULTS, ...head.state },
      experiments: {},
    })
  })

  it('imports version 2 as it is, and refuses a version with no path or malformed flags', async () => {
    expect(importLegacyUXLabs(fixture('app-ux-labs.v2.json'))).toEqual({
      enabledFlags: {
        ...UX_LABS_FLAG_DEFAULTS,
        labsHighPerformance: true,
        [SQLITE_MIGRATION_FLAG]: true,
        labsFromTheFuture: true,
      },
      experiments: { 'beam-layout': { columns: 3 } },
    })
    expect((await failure(() => importLegacyUXLabs(fixture('app-ux-labs.v3-unknown.json'))))?.code).toBe(
      'MIGRATION_FAILED',
    )
    expect(await failure(() => importLegacyUXLabs(fixture('app-ux-labs.v2-bad-flag.json')))).toMatchObject({
      code: 'INVALID_LEGACY_DATA',
      path: 'app-ux-labs.enabledFlags.labsHighPerformance',
    })
    expect((await failure(() => importLegacyUXLabs('{}')))?.code).toBe('INVALID_LEGACY_DATA')
    expect(importLegacyUXLabs(null)).toBeNull()
    // Reading the rollout flag from localStorage, before the switch:
    expect(
      flagValue(importLegacyUXLabs(fixture('app-ux-labs.v2.json')) ?? uxLabsDefaults(), SQLITE_MIGRATION_FLAG),
    ).toBe(true)
    expect(flagValue(importLegacyUXLabs(null) ?? uxLabsDefaults(), SQLITE_MIGRATION_FLAG)).toBe(false)
  })

  it('is the migration of the legacy path too: Zustand persist reads a flat version 1 blob', () => {
    const { map: storage, storage: localStorage } = memoryLocalStorage({
      'app-ux-labs': fixture('app-ux-labs.v1-head.json'),
    })
    const store = createStore<UXLabsStore>()(
      persist(createUXLabsState(), {
        ...uxLabsLegacyPersistOptions,
        storage: createJSONStorage(() => localStorage),
      }),
    )
    expect(store.getState().getLabsAutoHideComposer()).toBe(true)
    expect(store.getState().getLabsLosslessImages()).toBe(true)
    const written = JSON.parse(storage.get('app-ux-labs') ?? '{}') as { state: object; version: number }
    expect(written.version).toBe(2)
    expect(Object.keys(written.state)).toEqual(['enabledFlags', 'experiments'])
  })
})

describe('UX labs actions', () => {
  it('reads defaults, sets and toggles flags by the app names and by name', () => {
    const store = createStore<UXLabsStore>()(createUXLabsState())
    const s = store.getState
    expect(s().getLabsScreenWakeLock()).toBe(true)
    expect(s().getFlag('never-heard-of')).toBe(false)
    s().setLabsPreserveLosslessImages(true)
    s().toggleFlag('labsScreenWakeLock')
    s().setFlag('newFlag', true)
    expect(s().getLabsLosslessImages()).toBe(true)
    expect(s().getLabsScreenWakeLock()).toBe(false)
    expect(s().getFlag('newFlag')).toBe(true)
    const before = s()
    s().setLabsHighPerformance(false)
    expect(s()).toBe(before)
    s().setExperiment('x', { a: 1 })
    expect(s().getExperiment('x')).toEqual({ a: 1 })
    s().setExperiment('x', undefined)
    expect(s().experiments).toEqual({})
  })

  it('changes nothing, and notifies no one, when an action finds nothing to change', () => {
    const store = createStore<UXLabsStore>()(createUXLabsState())
    const listener = vi.fn()
    store.subscribe(listener)
    store.getState().resetFlags()
    store.getState().setExperiment('absent', undefined)
    store.getState().setFlag('labsScreenWakeLock', true)
    expect(listener).not.toHaveBeenCalled()
    const config = { columns: 2 }
    store.getState().setExperiment('beam-layout', config)
    store.getState().setExperiment('beam-layout', config)
    store.getState().setFlag('mystery', true)
    store.getState().resetFlags()
    store.getState().resetFlags()
    expect(listener).toHaveBeenCalledTimes(3)
    expect(dataOf(store.getState())).toEqual({
      enabledFlags: { ...UX_LABS_FLAG_DEFAULTS, mystery: true },
      experiments: {},
    })
  })
})

describe.each(engines)('UX labs store on $name', (engine) => {
  const { open, closeAll } = databaseOn(engine)

  it('writes one row per toggled flag and stamps enabled_at when it turns on', async () => {
    const commits: CommitInfo[] = []
    const backend = await open()
    const store = createUXLabsStore({ backend, onCommit: (c) => commits.push(c) })
    await hydrated(store)
    store.getState().setFlag('warm-up', false)
    await store.persist.flush()

    const t0 = Date.now()
    store.getState().setFlag(SQLITE_MIGRATION_FLAG, true)
    await store.persist.flush()
    expect(commits.at(-1)?.tables).toEqual({ ux_labs: 1 })
    const [row] = await backend.query('SELECT * FROM ux_labs WHERE flag_name = ?', [SQLITE_MIGRATION_FLAG])
    expect(row).toMatchObject({ enabled: 1, config_data: null })
    expect(row?.['enabled_at']).toBeGreaterThanOrEqual(t0)
    expect(row?.['updated_at']).toBe(row?.['enabled_at'])

    store.getState().setFlag(SQLITE_MIGRATION_FLAG, false)
    await store.persist.flush()
    expect(commits.at(-1)?.rows).toBe(1)
    expect(
      await backend.query('SELECT enabled, enabled_at FROM ux_labs WHERE flag_name = ?', ['sqlite-migration']),
    ).toEqual([{ enabled: 0, enabled_at: null }])
  })

  it('keeps enabled_at while a flag stays on, through other writes of its row', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 })
    onTestFinished(() => void vi.useRealTimers())
    const backend = await open()
    const store = createUXLabsStore({ backend })
    await hydrated(store)
    store.getState().setFlag('beam', true)
    await store.persist.flush()
    vi.setSystemTime(2_000_000)
    store.getState().setExperiment('beam', { rays: 4 })
    await store.persist.flush()
    expect(
      await backend.query(`SELECT enabled_at, updated_at, config_data FROM ux_labs WHERE flag_name = 'beam'`),
    ).toEqual([{ enabled_at: 1_000_000, updated_at: 2_000_000, config_data: '{"rays":4}' }])
  })

  it('round-trips known, unknown and legacy flags and experiments through a restart', async () => {
    const first = createUXLabsStore({ backend: await open() })
    await hydrated(first)
    const imported = importLegacyUXLabs(fixture('app-ux-labs.v0.json'))
    if (imported === null) throw new Error('expected flags')
    first.setState(imported)
    first.getState().setExperiment('config-only', { mode: 'fast' })
    first.getState().setExperiment('nothing', null)
    await first.persist.flush()
    const expected = dataOf(first.getState())
    await closeAll()

    const second = createUXLabsStore({ backend: await open() })
    await hydrated(second)
    expect(dataOf(second.getState())).toEqual(expected)
    expect(second.getState().getFlag('labsEnhancedUI')).toBe(true)
    expect(second.getState().getExperiment('labsChatBarAlt')).toBe('title')
    expect(second.getState().enabledFlags).not.toHaveProperty('config-only')
    expect(second.getState().getExperiment('nothing')).toBeNull()

    second.getState().resetFlags()
    await second.persist.flush()
    await closeAll()
    const third = createUXLabsStore({ backend: await open() })
    await hydrated(third)
    expect(third.getState().experiments).toEqual({})
    expect(third.getState().getLabsHighPerformance()).toBe(false)
    expect(third.getState().getFlag('labsEnhancedUI')).toBe(true)
  })

  it('reads a flag straight from the database, before any store and on an empty database', async () => {
    const backend = await open()
    expect(await readUXLabsFlag(backend, SQLITE_MIGRATION_FLAG)).toBe(false)
    expect(await readUXLabsFlag(backend, 'labsScreenWakeLock')).toBe(true)
    // It prepares the store's table, as the store would, and stores no flag.
    expect(await backend.query('SELECT flag_name FROM ux_labs')).toEqual([])
    expect((await uxLabsDefinition.prepare(backend)).stateVersion).toBeNull()
    await updateUXLabs(backend, { enabledFlags: { [SQLITE_MIGRATION_FLAG]: true, labsScreenWakeLock: false } })
    expect(await readUXLabsFlag(backend, SQLITE_MIGRATION_FLAG)).toBe(true)
    expect(await readUXLabsFlag(backend, 'labsScreenWakeLock')).toBe(false)
    expect((await failure(() => readUXLabsFlag(backend, '')))?.code).toBe('INVALID_VALUE')
  })

  it('migrates flat flags stored at state version 1 into rows, without a stray row', async () => {
    const backend = await open()
    await writeStoredState(
      backend,
      { name: 'app-ux-labs', schema: uxLabsSchema, version: 1 },
      { labsHighPerformance: true, labsChatBarAlt: 'title' },
    )
    const store = createUXLabsStore({ backend })
    await hydrated(store)
    expect(store.getState().getLabsHighPerformance()).toBe(true)
    expect(store.getState().experiments).toEqual({ labsChatBarAlt: 'title' })
    const names = (await backend.query('SELECT flag_name FROM ux_labs ORDER BY flag_name')).map((r) => r['flag_name'])
    expect(names).toContain('labsHighPerformance')
    expect(names).not.toContain('flags')
    expect(await backend.query(`SELECT key FROM zs_kv WHERE store = 'app-ux-labs'`)).toEqual([])
  })

  it('reads a flag stored at state version 1 as the store migrates it', async () => {
    const backend = await open()
    await writeStoredState(
      backend,
      { name: 'app-ux-labs', schema: uxLabsSchema, version: 1 },
      { labsHighPerformance: true, labsScreenWakeLock: false, labsChatBarAlt: 'title' },
    )
    expect(await readUXLabsFlag(backend, 'labsHighPerformance')).toBe(true)
    expect(await readUXLabsFlag(backend, 'labsScreenWakeLock')).toBe(false)
    expect(await readUXLabsFlag(backend, 'labsChatBarAlt')).toBe(false)
    expect((await getUXLabs(backend)).labs).toEqual({
      enabledFlags: { ...UX_LABS_FLAG_DEFAULTS, labsHighPerformance: true, labsScreenWakeLock: false },
      experiments: { labsChatBarAlt: 'title' },
    })
  })

  it('toggles a flag on the stored flags when the toggle came while the store hydrated', async () => {
    const backend = await open()
    await updateUXLabs(backend, { enabledFlags: { labsHighPerformance: true } })
    // A backend given as a promise: the store hydrates after create() returns, whatever the engine.
    const store = createUXLabsStore({ backend: () => Promise.resolve(backend) })
    expect(store.persist.hasHydrated()).toBe(false)
    store.getState().toggleFlag('labsHighPerformance')
    await hydrated(store)
    expect(store.getState().getLabsHighPerformance()).toBe(false)
    await store.persist.flush()
    expect(await readUXLabsFlag(backend, 'labsHighPerformance')).toBe(false)
  })

  it('keeps unknown top-level keys of imported data through a restart', async () => {
    const first = createUXLabsStore({ backend: await open() })
    await hydrated(first)
    const imported = importLegacyUXLabs({
      state: { enabledFlags: {}, experiments: {}, layoutHint: 'wide' },
      version: 2,
    })
    if (imported === null) throw new Error('expected flags')
    first.setState(imported)
    await first.persist.flush()
    await closeAll()
    const second = createUXLabsStore({ backend: await open() })
    await hydrated(second)
    expect((second.getState() as unknown as Record<string, unknown>)['layoutHint']).toBe('wide')
  })

  it('refuses to read a flag of a store written by a newer version', async () => {
    const backend = await open()
    await updateUXLabs(backend, { enabledFlags: { [SQLITE_MIGRATION_FLAG]: true } }, { name: 'labs-b' })
    expect(await readUXLabsFlag(backend, SQLITE_MIGRATION_FLAG, { name: 'labs-b' })).toBe(true)
    await writeStoredState(backend, { name: 'labs-b', schema: uxLabsSchema, version: 3 }, { flags: {} })
    expect((await failure(() => readUXLabsFlag(backend, SQLITE_MIGRATION_FLAG, { name: 'labs-b' })))?.code).toBe(
      'MIGRATION_FAILED',
    )
    expect((await failure(() => getUXLabs(backend, { name: 'labs-b' })))?.code).toBe('MIGRATION_FAILED')
  })

  it('removes flags and experiments by name through updateUXLabs', async () => {
    const backend = await open()
    await updateUXLabs(backend, {
      enabledFlags: { old: true, labsHighPerformance: true },
      experiments: { old: { a: 1 }, keep: 2 },
    })
    const after = await updateUXLabs(backend, { remove: ['old', 'labsHighPerformance'], enabledFlags: { fresh: true } })
    expect(after.labs).toEqual({
      enabledFlags: { ...UX_LABS_FLAG_DEFAULTS, fresh: true },
      experiments: { keep: 2 },
    })
    expect(after.rows.map((r) => r.name)).not.toContain('old')
    expect((await failure(() => updateUXLabs(backend, { remove: 'old' })))?.path).toBe('ux-labs.remove')
    expect((await failure(() => updateUXLabs(backend, { remove: [''] })))?.path).toBe('ux-labs.remove.0')
  })

  it('gets, updates by name and resets through the query functions', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 5_000 })
    onTestFinished(() => void vi.useRealTimers())
    const backend = await open()
    expect(await getUXLabs(backend)).toEqual({
      labs: { enabledFlags: UX_LABS_FLAG_DEFAULTS, experiments: {} },
      rows: [],
    })
    await updateUXLabs(backend, { enabledFlags: { mystery: true } })
    const before = await getUXLabs(backend)
    vi.setSystemTime(6_000)
    const updated = await updateUXLabs(backend, {
      enabledFlags: { labsHighPerformance: true },
      experiments: { 'beam-layout': { columns: 2 } },
    })
    expect(updated.labs).toEqual({
      enabledFlags: { ...UX_LABS_FLAG_DEFAULTS, mystery: true, labsHighPerformance: true },
      experiments: { 'beam-layout': { columns: 2 } },
    })
    const changed = updated.rows.filter(
      (r) => !before.rows.some((b) => b.name === r.name && b.updatedAt === r.updatedAt),
    )
    expect(changed.map((r) => r.name).sort()).toEqual(['beam-layout', 'labsHighPerformance'])
    expect(updated.rows.find((r) => r.name === 'beam-layout')).toMatchObject({ enabled: null, enabledAt: null })

    const store = createUXLabsStore({ backend })
    await hydrated(store)
    expect(dataOf(store.getState())).toEqual(updated.labs)

    const reset = await resetUXLabs(backend)
    expect(reset.labs).toEqual({ enabledFlags: { ...UX_LABS_FLAG_DEFAULTS, mystery: true }, experiments: {} })
  })

  it('runs concurrent updates one after another, each on what the one before wrote', async () => {
    const backend = await open()
    await Promise.all([
      updateUXLabs(backend, { enabledFlags: { a: true }, experiments: { x: 1 } }),
      updateUXLabs(backend, { enabledFlags: { b: true }, remove: ['x'] }),
      resetUXLabs(backend),
      updateUXLabs(backend, { experiments: { y: 2 } }),
    ])
    expect((await getUXLabs(backend)).labs).toEqual({
      enabledFlags: { ...UX_LABS_FLAG_DEFAULTS, a: true, b: true },
      experiments: { y: 2 },
    })
  })

  it('refuses a bad update with INVALID_VALUE and writes nothing', async () => {
    const backend = await open()
    const stored = await updateUXLabs(backend, { enabledFlags: { a: true } })
    const cases: [unknown, string][] = [
      [{ enabledFlags: { a: 'yes' } }, 'ux-labs.enabledFlags.a'],
      [{ enabledFlags: { a: false, b: 1 } }, 'ux-labs.enabledFlags.b'],
      [{ enabledFlags: { '': true } }, 'ux-labs.enabledFlags.'],
      [{ experiments: { x: 10n } }, 'ux-labs.experiments.x'],
      [{ flags: {} }, 'ux-labs.flags'],
      [[], 'ux-labs'],
    ]
    for (const [patch, path] of cases) {
      expect(await failure(() => updateUXLabs(backend, patch))).toMatchObject({ code: 'INVALID_VALUE', path })
    }
    expect(await getUXLabs(backend)).toEqual(stored)
  })
})
