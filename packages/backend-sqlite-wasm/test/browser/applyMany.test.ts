import { expect, it, vi } from 'vitest'
import { collection, column, defineSchema, isZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, ChangeSet, CommittedChange } from '@zustand-sqlite/core'
import { createSqliteWasmBackend } from '@zustand-sqlite/backend-sqlite-wasm'

// Two backends on one database in this page: the first one's worker is the writer, the second one's a
// follower whose calls travel to the writer over the BroadcastChannel, as another tab's would.
const worker = (): Worker => new Worker(new URL('../../src/worker.ts', import.meta.url), { type: 'module' })
const run = Date.now().toString(36)

const schemaOf = (table: string) =>
  defineSchema({ state: { items: collection({ table, key: 'id', columns: { id: column.text() } }) } })

const write = (store: string, id: string, baseRevision?: number): ChangeSet => ({
  store,
  schemaVersion: 1,
  stateVersion: 1,
  ...(baseRevision === undefined ? {} : { baseRevision }),
  tables: [{ table: store, upsert: [{ columns: ['id', 'sort_key'], rows: [[id, 'a0']] }] }],
})

function listen(backend: Backend, into: CommittedChange[]): void {
  const { subscribe } = backend
  if (subscribe === undefined) throw new Error(`${backend.name} tells no commits`)
  subscribe((change) => into.push(change))
}

it("sends a follower's applyMany to the writer, and tells the writer's page of each commit", async () => {
  const name = `apply-many-${run}.db`
  const writer = await createSqliteWasmBackend({ name, worker })
  const follower = await createSqliteWasmBackend({ name, worker })
  try {
    expect([writer.role, follower.role]).toEqual(['writer', 'follower'])
    await follower.prepare('chats', schemaOf('chats').spec)
    await follower.prepare('links', schemaOf('links').spec)
    const toWriter: CommittedChange[] = []
    const toFollower: CommittedChange[] = []
    listen(writer, toWriter)
    listen(follower, toFollower)

    const together = [write('chats', 'c1', 0), write('links', 'l1', 0)]
    expect(await follower.applyMany(together)).toEqual([{ revision: 1 }, { revision: 1 }])
    // The page that committed is told with its own ChangeSet objects; the other, with copies.
    expect(toFollower.map((c) => ('changeSet' in c ? c.changeSet : undefined))).toEqual(together)
    expect(toFollower.every((c, i) => 'changeSet' in c && c.changeSet === together[i])).toBe(true)
    await vi.waitFor(() => expect(toWriter).toHaveLength(2))
    expect(toWriter).toEqual([
      { store: 'chats', changeSet: together[0], revision: 1 },
      { store: 'links', changeSet: together[1], revision: 1 },
    ])
    expect((await writer.load('links')).tables['links']?.rows.map((row) => row[0])).toEqual(['l1'])

    const error = await follower.applyMany([write('chats', 'c2', 1), write('links', 'l2', 0)]).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isZustandSqliteError(error, 'CONCURRENT_MODIFICATION')).toBe(true)
    expect((error as { store?: string }).store).toBe('links')
    expect((await writer.load('chats')).revision).toBe(1)
    expect(toWriter).toHaveLength(2)
  } finally {
    await follower.close()
    await writer.close()
  }
})
