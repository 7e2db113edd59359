import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createUIPreferencesStore,
  getUIPreferences,
  importLegacyUIPreferences,
  partializeUIPreferences,
  resetUIPreferences,
  updateUIPreferences,
} from '@zustand-sqlite/store-ui'
import type { PersistedUIPreferences } from '@zustand-sqlite/store-ui'
import { PROTOTYPE_NAMES, withStoreDatabase } from '../../../test-utils/stores'

/** Names that `Object.prototype` has: keys like any other for the store. */

const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0)

/** The own entries of a record, sorted; fails when the record's prototype is not `Object.prototype`. */
function entriesOf<V>(record: Readonly<Record<string, V>>): [string, V][] {
  expect(Object.getPrototypeOf(record)).toBe(Object.prototype)
  return Object.entries(record).sort(byKey)
}

/** The three records keyed by data, as sorted own entries. */
const recordsOf = (p: Pick<PersistedUIPreferences, 'dismissals' | 'actionCounters' | 'panelGroupCollapseStates'>) => ({
  dismissals: entriesOf(p.dismissals),
  actionCounters: entriesOf(p.actionCounters),
  panelGroupCollapseStates: entriesOf(p.panelGroupCollapseStates),
})

const withDatabase = withStoreDatabase(createUIPreferencesStore)

const key = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.constantFrom('beam-wizard', 'models', 'x'))

describe('the UI preferences store with keys that are Object.prototype names', () => {
  it('dismisses, counts and collapses by such keys, through a write and a reload', async () => {
    const operation = fc.record({ kind: fc.nat({ max: 3 }), key, collapsed: fc.boolean() })
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
        await withDatabase(async (open) => {
          const store = await open()
          const dismissals = new Map<string, boolean>()
          const counters = new Map<string, number>()
          const panels = new Map<string, boolean>()
          for (const { kind, key, collapsed } of operations) {
            const s = store.getState()
            if (kind === 0) {
              s.dismiss(key)
              dismissals.set(key, true)
            } else if (kind === 1) {
              s.incrementActionCounter(key)
              counters.set(key, (counters.get(key) ?? 0) + 1)
            } else if (kind === 2) {
              s.resetActionCounter(key)
              counters.set(key, 0)
            } else {
              s.setPanelGroupCollapsed(key, collapsed)
              panels.set(key, collapsed)
            }
          }
          const expected = {
            dismissals: [...dismissals].sort(byKey),
            actionCounters: [...counters].sort(byKey),
            panelGroupCollapseStates: [...panels].sort(byKey),
          }
          expect(recordsOf(store.getState())).toEqual(expected)
          expect(recordsOf(partializeUIPreferences(store.getState()))).toEqual(expected)
          await store.persist.flush()
          expect(recordsOf((await open()).getState())).toEqual(expected)
        })
      }),
      { numRuns: 50 },
    )
  })

  it('imports legacy records keyed by such names, and unknown settings of such names', () => {
    const imported = importLegacyUIPreferences(
      '{"state":{"dismissals":{"__proto__":true},"actionCounters":{"constructor":2,"__proto__":1},' +
        '"panelGroupCollapseStates":{"toString":true},"valueOf":"kept","__proto__":{"stale":true}},"version":3}',
    ) as PersistedUIPreferences & Record<string, unknown>
    expect(recordsOf(imported)).toEqual({
      dismissals: [['__proto__', true]],
      actionCounters: [
        ['__proto__', 1],
        ['constructor', 2],
      ],
      panelGroupCollapseStates: [['toString', true]],
    })
    // Unknown keys are kept as keys, whatever their name, and so is what is persisted of them.
    for (const persisted of [
      imported,
      partializeUIPreferences({ ...imported, aixInspector: true }) as typeof imported,
    ]) {
      expect(Object.getPrototypeOf(persisted)).toBe(Object.prototype)
      expect(Object.hasOwn(persisted, 'valueOf') && persisted['valueOf']).toBe('kept')
      expect(Object.hasOwn(persisted, '__proto__') && persisted['__proto__']).toEqual({ stale: true })
    }
  })

  it('updates, reads and resets records keyed by such names with the query functions', async () => {
    await withDatabase(async (_open, connect) => {
      const backend = connect()
      const patch = JSON.parse('{"dismissals":{"__proto__":true,"hasOwnProperty":true},"actionCounters":{"valueOf":3}}')
      const updated = await updateUIPreferences(backend, patch)
      const expected = {
        dismissals: [
          ['__proto__', true],
          ['hasOwnProperty', true],
        ],
        actionCounters: [['valueOf', 3]],
        panelGroupCollapseStates: [],
      }
      expect(recordsOf(updated.preferences)).toEqual(expected)
      expect(recordsOf((await getUIPreferences(connect())).preferences)).toEqual(expected)
      const reset = await resetUIPreferences(backend)
      expect(recordsOf(reset.preferences)).toEqual({ dismissals: [], actionCounters: [], panelGroupCollapseStates: [] })
    })
  })
})
