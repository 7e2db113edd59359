import { describe, expect, it, vi } from 'vitest'
import type { ApplyResult, Backend, CommittedChange } from '../contract/backend'
import type { ChangeSet } from '../contract/changeSet'
import { isZustandSqliteError } from '../contract/errors'
import type { ZustandSqliteErrorCode } from '../contract/errors'
import type { MaybePromise } from '../contract/maybe'
import type { SqlValue } from '../contract/sqlValue'
import { collection, column, defineSchema } from '../schema/defineSchema'

/** What the applyMany cases need from the suite: a backend per test, and the same storage opened again. */
export interface ApplyManyHarness {
  run(test: (backend: Backend) => Promise<void>): Promise<void>
  reopened(backend: Backend): Promise<Backend>
}

const chatsSchema = defineSchema({
  state: {
    chats: collection({ table: 'many_chats', key: 'id', columns: { id: column.text(), title: column.text() } }),
  },
})

const linksSchema = defineSchema({
  state: {
    links: collection({
      table: 'many_links',
      key: 'id',
      columns: { id: column.text(), chat: column.text() },
      indexes: [{ columns: ['chat'], unique: true }],
    }),
  },
})

const CHATS = 'many-chats'
const LINKS = 'many-links'

/** A ChangeSet of `store` writing `rows` (`[id, value]`) into its one table. */
function rowsOf(
  store: typeof CHATS | typeof LINKS,
  rows: readonly (readonly [string, string])[],
  header: Partial<Pick<ChangeSet, 'baseRevision' | 'isolateRefusedRows'>> = {},
): ChangeSet {
  const [table, column] = store === CHATS ? ['many_chats', 'title'] : ['many_links', 'chat']
  return {
    store,
    schemaVersion: 1,
    stateVersion: 1,
    ...header,
    tables: [
      {
        table,
        upsert: [
          { columns: ['id', column, 'sort_key'], rows: rows.map(([id, value], i): SqlValue[] => [id, value, `a${i}`]) },
        ],
      },
    ],
  }
}

async function prepared(backend: Backend): Promise<void> {
  await backend.prepare(CHATS, chatsSchema.spec)
  await backend.prepare(LINKS, linksSchema.spec)
}

/** The ids stored for a store, and its revision. */
async function stored(backend: Backend, store: string): Promise<{ ids: SqlValue[]; revision: number }> {
  const loaded = await backend.load(store)
  const table = loaded.tables[store === CHATS ? 'many_chats' : 'many_links']
  return { ids: (table?.rows ?? []).map((row) => row[0] as SqlValue).sort(), revision: loaded.revision }
}

async function rejection(action: () => MaybePromise<unknown>): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

function expectFailure(error: unknown, code: ZustandSqliteErrorCode, store: string): void {
  expect(isZustandSqliteError(error), `expected a ZustandSqliteError, got ${String(error)}`).toBe(true)
  expect((error as { code: string }).code).toBe(code)
  expect((error as { store?: string }).store).toBe(store)
}

/** The backend's `applyMany`, which every case of this group needs. */
function applyManyOf(backend: Backend): (changeSets: readonly ChangeSet[]) => MaybePromise<ApplyResult[]> {
  const applyMany = backend.applyMany
  expect(
    applyMany,
    `${backend.name} has no applyMany: declare it with \`optOut: { applyMany: 'why' }\`, which checks that it is absent`,
  ).toBeTypeOf('function')
  return (applyMany as NonNullable<Backend['applyMany']>).bind(backend)
}

/**
 * The cases of `applyMany`: several stores committed in one transaction. A backend without it declares so
 * with the opt-out `absent`: one case then checks that the method is indeed absent, instead of these.
 */
export function applyManyCases(harness: ApplyManyHarness, absent: string | undefined): void {
  const { run, reopened } = harness
  if (absent !== undefined) {
    it(`has no applyMany, as declared [opted out of applyMany: ${absent}]`, () =>
      run(async (backend) => {
        expect(backend.applyMany).toBeUndefined()
      }))
    return
  }

  describe('applyMany', () => {
    it('commits two stores in one transaction: both visible after, durable after flush, revisions raised, results in order', () =>
      run(async (backend) => {
        const applyMany = applyManyOf(backend)
        await prepared(backend)
        expect(await backend.apply(rowsOf(CHATS, [['c0', 'kept']]))).toEqual({ revision: 1 })
        expect(await applyMany([])).toEqual([])
        expect((await stored(backend, CHATS)).revision).toBe(1)
        expect((await stored(backend, LINKS)).revision).toBe(0)

        const told: CommittedChange[] = []
        const counts: MaybePromise<unknown>[] = []
        const stop = backend.subscribe?.((change) => {
          told.push(change)
          // Told after the commit: every ChangeSet of it is there to read.
          counts.push(
            backend.query(
              `SELECT (SELECT count(*) FROM many_chats) AS chats, (SELECT count(*) FROM many_links) AS links`,
            ),
          )
        })
        const links = rowsOf(LINKS, [['l1', 'c1']], { baseRevision: 0 })
        const chats = rowsOf(CHATS, [['c1', 'linked']], { baseRevision: 1 })
        expect(await applyMany([links, chats])).toEqual([{ revision: 1 }, { revision: 2 }])
        expect(await stored(backend, LINKS)).toEqual({ ids: ['l1'], revision: 1 })
        expect(await stored(backend, CHATS)).toEqual({ ids: ['c0', 'c1'], revision: 2 })
        if (stop !== undefined) {
          await vi.waitFor(() => expect(told).toHaveLength(2))
          expect(told).toEqual([
            { store: LINKS, changeSet: links, revision: 1 },
            { store: CHATS, changeSet: chats, revision: 2 },
          ])
          // For a commit through this backend object, the caller's own ChangeSet objects.
          told.forEach((change, i) =>
            expect('changeSet' in change ? change.changeSet : undefined).toBe([links, chats][i]),
          )
          for (const count of await Promise.all(counts)) expect(count).toEqual([{ chats: 2, links: 1 }])
          stop()
        }

        await backend.flush()
        const again = await reopened(backend)
        try {
          await prepared(again)
          expect(await stored(again, LINKS)).toEqual({ ids: ['l1'], revision: 1 })
          expect(await stored(again, CHATS)).toEqual({ ids: ['c0', 'c1'], revision: 2 })
        } finally {
          await again.close()
        }
      }))

    it('writes nothing when the second ChangeSet was made against a stale revision', () =>
      run(async (backend) => {
        const applyMany = applyManyOf(backend)
        await prepared(backend)
        await backend.apply(rowsOf(LINKS, [['l0', 'c0']]))
        const error = await rejection(() =>
          applyMany([
            rowsOf(CHATS, [['c1', 'new']], { baseRevision: 0 }),
            rowsOf(LINKS, [['l1', 'c1']], { baseRevision: 0 }),
          ]),
        )
        expectFailure(error, 'CONCURRENT_MODIFICATION', LINKS)
        expect(await stored(backend, CHATS)).toEqual({ ids: [], revision: 0 })
        expect(await stored(backend, LINKS)).toEqual({ ids: ['l0'], revision: 1 })
      }))

    it('writes nothing when one ChangeSet breaks a constraint, is invalid, or names a store not prepared', () =>
      run(async (backend) => {
        const applyMany = applyManyOf(backend)
        await prepared(backend)
        await backend.apply(rowsOf(LINKS, [['l0', 'c0']]))
        const chats = rowsOf(CHATS, [['c1', 'new']])
        // A second link to chat c0: the unique index refuses it, isolateRefusedRows or not.
        for (const isolateRefusedRows of [false, true]) {
          const error = await rejection(() => applyMany([chats, rowsOf(LINKS, [['l1', 'c0']], { isolateRefusedRows })]))
          expectFailure(error, 'WRITE_FAILED', LINKS)
        }
        const unknownTable: ChangeSet = { ...rowsOf(LINKS, []), tables: [{ table: 'no_such_table', delete: [['x']] }] }
        expectFailure(await rejection(() => applyMany([chats, unknownTable])), 'INVALID_CHANGESET', LINKS)
        const unprepared: ChangeSet = { ...rowsOf(LINKS, []), store: 'many-unprepared' }
        expectFailure(await rejection(() => applyMany([chats, unprepared])), 'INVALID_CHANGESET', 'many-unprepared')
        expect(await stored(backend, CHATS)).toEqual({ ids: [], revision: 0 })
        expect(await stored(backend, LINKS)).toEqual({ ids: ['l0'], revision: 1 })
      }))

    it('refuses two ChangeSets for one store, writing nothing', () =>
      run(async (backend) => {
        const applyMany = applyManyOf(backend)
        await prepared(backend)
        const error = await rejection(() =>
          applyMany([rowsOf(CHATS, [['c1', 'one']]), rowsOf(LINKS, [['l1', 'c1']]), rowsOf(CHATS, [['c2', 'two']])]),
        )
        expectFailure(error, 'INVALID_CHANGESET', CHATS)
        expect(await stored(backend, CHATS)).toEqual({ ids: [], revision: 0 })
        expect(await stored(backend, LINKS)).toEqual({ ids: [], revision: 0 })
      }))
  })
}
