import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createUXLabsStore,
  getUXLabs,
  importLegacyUXLabs,
  readUXLabsFlag,
  resetUXLabs,
  updateUXLabs,
  UX_LABS_FLAG_DEFAULTS,
} from '@zustand-sqlite/store-labs'
import type { UXLabsState } from '@zustand-sqlite/store-labs'
import { PROTOTYPE_NAMES, withStoreDatabase } from '../../../test-utils/stores'

/** Names that `Object.prototype` has: flag and experiment names like any other for the store. */

const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0)

/** The own entries of a record, sorted; fails when the record's prototype is not `Object.prototype`. */
function entriesOf<V>(record: Readonly<Record<string, V>>): [string, V][] {
  expect(Object.getPrototypeOf(record)).toBe(Object.prototype)
  return Object.entries(record).sort(byKey)
}

/** The flags and experiments of a state, as sorted own entries. */
const labsOf = (state: UXLabsState) => ({
  enabledFlags: entriesOf(state.enabledFlags),
  experiments: entriesOf(state.experiments),
})

const withDatabase = withStoreDatabase(createUXLabsStore)

const name = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.constantFrom('labsHighPerformance', 'beta', 'x'))

interface Operation {
  kind: number
  name: string
  enabled: boolean
  config: number
}
const operation: fc.Arbitrary<Operation> = fc.record({
  kind: fc.nat({ max: 5 }),
  name,
  enabled: fc.boolean(),
  config: fc.integer({ min: 0, max: 3 }),
})

describe('the UX labs store with flags named as Object.prototype names', () => {
  it('sets, toggles and removes flags and experiments of such names, through a write and a reload', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
        await withDatabase(async (open) => {
          const store = await open()
          const flags = new Map<string, boolean>(Object.entries(UX_LABS_FLAG_DEFAULTS))
          const experiments = new Map<string, unknown>()
          for (const { kind, name, enabled, config } of operations) {
            const s = store.getState()
            if (kind === 0 || kind === 1) {
              s.setFlag(name, enabled)
              flags.set(name, enabled)
            } else if (kind === 2) {
              s.toggleFlag(name)
              flags.set(name, !(flags.get(name) ?? false))
            } else if (kind === 3 || kind === 4) {
              // 0 removes the experiment.
              s.setExperiment(name, config === 0 ? undefined : { config })
              if (config === 0) experiments.delete(name)
              else experiments.set(name, { config })
            } else {
              s.resetFlags()
              for (const [known, value] of Object.entries(UX_LABS_FLAG_DEFAULTS)) flags.set(known, value)
              experiments.clear()
            }
          }
          const expected = { enabledFlags: [...flags].sort(byKey), experiments: [...experiments].sort(byKey) }
          const check = (state: UXLabsState): void => void expect(labsOf(state)).toEqual(expected)
          check(store.getState())
          for (const n of PROTOTYPE_NAMES) {
            expect(store.getState().getFlag(n)).toBe(flags.get(n) ?? false)
            expect(store.getState().getExperiment(n)).toEqual(experiments.get(n))
          }
          await store.persist.flush()
          check((await open()).getState())
        })
      }),
      { numRuns: 50 },
    )
  })

  it('imports legacy flat flags and version 2 flags of such names', () => {
    const v1 = importLegacyUXLabs('{"state":{"__proto__":true,"constructor":"tall","toString":false},"version":1}')
    expect(labsOf(v1 as UXLabsState)).toEqual({
      enabledFlags: Object.entries({ ...UX_LABS_FLAG_DEFAULTS, ['__proto__']: true, toString: false }).sort(byKey),
      experiments: [['constructor', 'tall']],
    })
    const v2 = importLegacyUXLabs(
      '{"state":{"enabledFlags":{"__proto__":true,"valueOf":true},"experiments":{"__proto__":{"a":1}}},"version":2}',
    )
    expect(labsOf(v2 as UXLabsState)).toEqual({
      enabledFlags: Object.entries({ ...UX_LABS_FLAG_DEFAULTS, ['__proto__']: true, valueOf: true }).sort(byKey),
      experiments: [['__proto__', { a: 1 }]],
    })
  })

  it('reads, updates and resets flags of such names with the query functions', async () => {
    await withDatabase(async (open, connect) => {
      const store = await open()
      store.getState().setFlag('__proto__', true)
      store.getState().setFlag('constructor', true)
      store.getState().setExperiment('toString', 'x')
      await store.persist.flush()

      const backend = connect()
      expect(await readUXLabsFlag(backend, '__proto__')).toBe(true)
      expect(await readUXLabsFlag(backend, 'hasOwnProperty')).toBe(false)
      const read = await getUXLabs(backend)
      expect(entriesOf(read.labs.enabledFlags)).toContainEqual(['__proto__', true])
      expect(entriesOf(read.labs.experiments)).toEqual([['toString', 'x']])

      const patch = JSON.parse(
        '{"enabledFlags":{"__proto__":false,"valueOf":true},"experiments":{"hasOwnProperty":1},"remove":["constructor"]}',
      )
      const updated = await updateUXLabs(backend, patch)
      const flags = entriesOf(updated.labs.enabledFlags)
      expect(flags).toContainEqual(['__proto__', false])
      expect(flags).toContainEqual(['valueOf', true])
      expect(flags.map(([n]) => n)).not.toContain('constructor')
      expect(entriesOf(updated.labs.experiments)).toEqual([
        ['hasOwnProperty', 1],
        ['toString', 'x'],
      ])
      expect(updated.rows.map((r) => r.name)).toEqual(expect.arrayContaining(['__proto__', 'valueOf', 'toString']))

      const reset = await resetUXLabs(backend)
      expect(entriesOf(reset.labs.enabledFlags)).toContainEqual(['__proto__', false])
      expect(entriesOf(reset.labs.experiments)).toEqual([])
      expect(await readUXLabsFlag(backend, 'valueOf')).toBe(true)
    })
  })
})
