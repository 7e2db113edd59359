import { describe, expect, it, vi } from 'vitest'
import {
  collection,
  column,
  commitTogether,
  defineSchema,
  defineStore,
  isZustandSqliteError,
} from '@zustand-sqlite/core'
import type { Backend, ChangeSet } from '@zustand-sqlite/core'
import { hydrated, persistedStore } from '@zustand-sqlite/core/testing'
import { databaseOn, engines } from '../../../test-utils/backends'
import { memoryBackend, recordingBackend, tick } from './helpers'
import type { Call } from './helpers'

// Conversations and the folders that link them, in two stores: deleting a conversation and its links is
// one change of the app, committed together.

interface Chats {
  conversations: { id: string; title: string }[]
}
interface Folders {
  folders: { id: string; title: string; conversationIds: string[] }[]
}

const chatsSchema = defineSchema({
  state: {
    conversations: collection({
      table: 'conversations',
      key: 'id',
      columns: { id: column.text(), title: column.text() },
    }),
  },
})
// Folder titles are unique: a second folder with a title refused by the database is a real engine failure.
const foldersSchema = defineSchema({
  state: {
    folders: collection({
      table: 'folders',
      key: 'id',
      columns: { id: column.text(), title: column.text() },
      indexes: [{ columns: ['title'], unique: true }],
      children: {
        conversationIds: collection({
          table: 'folder_conversations',
          parentColumns: ['folder_id'],
          value: column.text({ column: 'conversation_id' }),
        }),
      },
    }),
  },
})

const initialChats = (): Chats => ({
  conversations: [
    { id: 'c1', title: 'one' },
    { id: 'c2', title: 'two' },
  ],
})
const initialFolders = (): Folders => ({ folders: [{ id: 'f1', title: 'Work', conversationIds: ['c1', 'c2'] }] })

const foldersStore = defineStore<Folders>({
  name: 'folders',
  version: 0,
  schema: foldersSchema,
  state: () => () => ({ folders: [] }),
})

/** Deletes conversation `id` and its links: the change committed together. */
function deleteConversation(chats: { setState: (f: (s: Chats) => Partial<Chats>) => void }, id: string) {
  chats.setState((s) => ({ conversations: s.conversations.filter((c) => c.id !== id) }))
}
function unlink(folders: { setState: (f: (s: Folders) => Partial<Folders>) => void }, id: string) {
  folders.setState((s) => ({
    folders: s.folders.map((f) => ({ ...f, conversationIds: f.conversationIds.filter((c) => c !== id) })),
  }))
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

const writes = (calls: readonly Call[]) => calls.filter((c) => c.method === 'apply' || c.method === 'applyMany')

/** What the database holds of both stores. */
async function storedRows(backend: Backend): Promise<{ conversations: unknown[]; links: unknown[] }> {
  return {
    conversations: (await backend.query('SELECT id FROM conversations ORDER BY id')).map((r) => r['id']),
    links: (await backend.query('SELECT conversation_id AS id FROM folder_conversations ORDER BY id')).map(
      (r) => r['id'],
    ),
  }
}

describe.each(engines)('commitTogether on $name', (engine) => {
  const db = databaseOn(engine)

  /** Both stores on one backend, hydrated, with their initial content written. */
  async function open(options: { writeDelayMs?: number } = {}) {
    const calls: Call[] = []
    const backend = recordingBackend(await db.open(), calls)
    const chats = persistedStore<Chats>(
      backend,
      { conversations: [] },
      { name: 'chats', schema: chatsSchema, ...options },
    )
    const folders = persistedStore<Folders>(
      backend,
      { folders: [] },
      { name: 'folders', schema: foldersSchema, ...options },
    )
    await Promise.all([hydrated(chats), hydrated(folders)])
    chats.setState(initialChats())
    folders.setState(initialFolders())
    await Promise.all([chats.persist.flush(), folders.persist.flush()])
    calls.length = 0
    chats.commits.length = 0
    folders.commits.length = 0
    return { backend, calls, chats, folders }
  }

  it("commits both stores' changes in one applyMany, durable when it resolves, and calls each onCommit", async () => {
    const { backend, calls, chats, folders } = await open()
    const result = await commitTogether([chats, folders], () => {
      deleteConversation(chats, 'c1')
      unlink(folders, 'c1')
      return 'deleted'
    })
    expect(result).toBe('deleted')
    expect(calls.map((c) => c.method)).toEqual(['applyMany', 'flush'])
    expect(await storedRows(backend)).toEqual({ conversations: ['c2'], links: ['c2'] })
    expect(chats.commits.map((c) => c.tables)).toEqual([{ conversations: 1 }])
    expect(folders.commits.map((c) => c.tables)).toEqual([{ folder_conversations: 1 }])
    // The stores' own writes, scheduled by the sets of `run`, find nothing left to write.
    await tick()
    await Promise.all([chats.persist.flush(), folders.persist.flush()])
    expect(writes(calls).map((c) => c.method)).toEqual(['applyMany'])
    expect([chats.errors, folders.errors]).toEqual([[], []])
  })

  it('takes a store made by a store definition', async () => {
    const { backend, chats } = await open()
    const folders = foldersStore.create({ backend })
    await hydrated(folders)
    await commitTogether([folders, chats], () => {
      deleteConversation(chats, 'c2')
      unlink(folders, 'c2')
    })
    expect(await storedRows(backend)).toEqual({ conversations: ['c1'], links: ['c1'] })
  })

  it("writes neither store when the database refuses the second one's rows, and puts both states back", async () => {
    const { backend, calls, chats, folders } = await open()
    const before = [chats.getState(), folders.getState()]
    const error = await rejection(
      commitTogether([chats, folders], () => {
        deleteConversation(chats, 'c1')
        unlink(folders, 'c1')
        // A second folder titled Work: the unique index refuses it.
        folders.setState((s) => ({ folders: [...s.folders, { id: 'f2', title: 'Work', conversationIds: [] }] }))
      }),
    )
    expect(isZustandSqliteError(error, 'WRITE_FAILED')).toBe(true)
    expect((error as { store?: string }).store).toBe('folders')
    expect([chats.getState(), folders.getState()]).toEqual(before)
    expect(chats.getState()).toBe(before[0])
    await tick()
    await Promise.all([chats.persist.flush(), folders.persist.flush()])
    expect(await storedRows(backend)).toEqual({ conversations: ['c1', 'c2'], links: ['c1', 'c2'] })
    expect(writes(calls).map((c) => c.method)).toEqual(['applyMany'])
    expect([chats.commits, folders.commits]).toEqual([[], []])
  })

  it('writes neither store when one holds a value that cannot be stored, naming it', async () => {
    const { backend, chats, folders } = await open()
    const before = [chats.getState(), folders.getState()]
    const error = await rejection(
      commitTogether([chats, folders], () => {
        deleteConversation(chats, 'c1')
        folders.setState({ folders: [{ id: 'f1', title: 10n as unknown as string, conversationIds: [] }] })
      }),
    )
    expect(error).toMatchObject({ code: 'UNSTORABLE_VALUE', store: 'folders', path: 'folders[id="f1"].title' })
    expect([chats.getState(), folders.getState()]).toEqual(before)
    await Promise.all([chats.persist.flush(), folders.persist.flush()])
    expect(await storedRows(backend)).toEqual({ conversations: ['c1', 'c2'], links: ['c1', 'c2'] })
  })

  it('changes nothing when run throws, and rethrows', async () => {
    const { backend, calls, chats, folders } = await open({ writeDelayMs: 0 })
    const before = [chats.getState(), folders.getState()]
    const thrown = new Error('run failed')
    const error = await rejection(
      commitTogether([chats, folders], () => {
        deleteConversation(chats, 'c1')
        unlink(folders, 'c1')
        throw thrown
      }),
    )
    expect(error).toBe(thrown)
    expect(chats.getState()).toBe(before[0])
    expect(folders.getState()).toBe(before[1])
    await tick()
    await Promise.all([chats.persist.flush(), folders.persist.flush()])
    expect(writes(calls)).toEqual([])
    expect(await storedRows(backend)).toEqual({ conversations: ['c1', 'c2'], links: ['c1', 'c2'] })
  })

  it("commits a store's pending changes with the joint change, never the joint change on its own", async () => {
    const { backend, calls, chats, folders } = await open()
    chats.setState((s) => ({ conversations: [...s.conversations, { id: 'x1', title: 'first' }] }))
    // The first write starts (and, on an asynchronous engine, is still running) ...
    await Promise.resolve()
    chats.setState((s) => ({ conversations: [...s.conversations, { id: 'x2', title: 'second' }] }))
    // ... and the second waits its turn in the store's lane.
    await Promise.resolve()
    const joint = commitTogether([chats, folders], () => {
      chats.setState((s) => ({ conversations: [...s.conversations, { id: 'x3', title: 'joint' }] }))
      unlink(folders, 'c1')
    })
    await joint
    await Promise.all([chats.persist.flush(), folders.persist.flush()])
    const written = (c: ChangeSet): unknown[] =>
      c.tables.flatMap((t) => (t.upsert ?? []).flatMap((b) => b.rows.map((r) => r[0])))
    const single = writes(calls)
      .filter((c) => c.method === 'apply')
      .flatMap((c) => written(c.args[0] as ChangeSet))
    const together = writes(calls)
      .filter((c) => c.method === 'applyMany')
      .flatMap((c) => (c.args[0] as ChangeSet[]).flatMap(written))
    expect(single).not.toContain('x3')
    expect(together).toContain('x3')
    expect(writes(calls).filter((c) => c.method === 'applyMany')).toHaveLength(1)
    expect((await storedRows(backend)).conversations).toEqual(['c1', 'c2', 'x1', 'x2', 'x3'])
  })

  it('includes what is pending when writes wait for a flush, and leaves nothing for the flush', async () => {
    const { backend, calls, chats, folders } = await open({ writeDelayMs: Infinity })
    chats.setState((s) => ({ conversations: [...s.conversations, { id: 'x1', title: 'pending' }] }))
    await commitTogether([chats, folders], () => unlink(folders, 'c1'))
    expect(await storedRows(backend)).toEqual({ conversations: ['c1', 'c2', 'x1'], links: ['c2'] })
    await Promise.all([chats.persist.flush(), folders.persist.flush()])
    expect(writes(calls).map((c) => c.method)).toEqual(['applyMany'])
  })

  it('makes flush() wait for a joint commit that is running', async () => {
    const { backend, chats, folders } = await open()
    const joint = commitTogether([chats, folders], () => {
      deleteConversation(chats, 'c1')
      unlink(folders, 'c1')
    })
    await chats.persist.flush()
    expect(chats.commits).toHaveLength(1)
    expect(await storedRows(backend)).toEqual({ conversations: ['c2'], links: ['c2'] })
    await joint
  })

  it('finishes two calls that name the stores in opposite orders, while a store is writing', async () => {
    const { backend, chats, folders } = await open()
    // A write of one store is running when both calls start (on an asynchronous engine).
    chats.setState((s) => ({ conversations: [...s.conversations, { id: 'x1', title: 'busy' }] }))
    await Promise.resolve()
    const results = await Promise.all([
      commitTogether([chats, folders], () => {
        deleteConversation(chats, 'c1')
        unlink(folders, 'c1')
        return 'first'
      }),
      commitTogether([folders, chats], () => {
        deleteConversation(chats, 'c2')
        unlink(folders, 'c2')
        return 'second'
      }),
    ])
    expect(results).toEqual(['first', 'second'])
    expect(await storedRows(backend)).toEqual({ conversations: ['x1'], links: [] })
  })

  it('checks the stores before run: hydrated, one backend, with applyMany', async () => {
    const { backend, chats, folders } = await open()
    const run = vi.fn()
    const codeOf = async (stores: Parameters<typeof commitTogether>[0]) =>
      ((await rejection(commitTogether(stores, run))) as { code?: string }).code

    const unhydrated = persistedStore<Chats>(backend, { conversations: [] }, { name: 'later', skipHydration: true })
    expect(await codeOf([chats, unhydrated])).toBe('NOT_HYDRATED')

    const elsewhere = memoryBackend()
    const other = persistedStore<Chats>(elsewhere, { conversations: [] }, { name: 'other' })
    await hydrated(other)
    expect(await codeOf([chats, other])).toBe('INVALID_OPTIONS')
    expect(await codeOf([chats, { persist: { flush: async () => undefined, getBackend: () => backend } }])).toBe(
      'INVALID_OPTIONS',
    )

    const { applyMany, ...rest } = backend
    expect(applyMany).toBeTypeOf('function')
    const withoutApplyMany: Backend = rest
    const a = persistedStore<Chats>(withoutApplyMany, { conversations: [] }, { name: 'a' })
    const b = persistedStore<Chats>(withoutApplyMany, { conversations: [] }, { name: 'b' })
    await Promise.all([hydrated(a), hydrated(b)])
    expect(await codeOf([a, b])).toBe('UNSUPPORTED_OPERATION')

    expect(run).not.toHaveBeenCalled()
    expect(chats.getState()).toEqual({ ...initialChats() })
    expect(folders.getState()).toEqual(initialFolders())
  })
})

describe.each(engines.filter((e) => e.name !== 'sql.js'))(
  'commitTogether while another connection writes, on $name',
  (engine) => {
    // Two backend objects on one database file: the second one's commits are not told to the first.
    const db = databaseOn(engine)

    it('takes what the other connection committed and still commits both stores together', async () => {
      const first = await db.open()
      const second = await db.open()
      let interfere = false
      let attempts = 0
      // Right before the joint commit first reaches the database, the other connection commits to chats.
      const backend: Backend = {
        ...first,
        applyMany: (changeSets) => {
          const inner = first.applyMany as NonNullable<Backend['applyMany']>
          if (!interfere) return inner(changeSets)
          attempts++
          if (attempts > 1) return inner(changeSets)
          otherChats.setState((s) => ({ conversations: [...s.conversations, { id: 'elsewhere', title: 'x' }] }))
          return otherChats.persist.flush().then(() => inner(changeSets))
        },
      }
      const jointChats = persistedStore<Chats>(backend, { conversations: [] }, { name: 'chats', schema: chatsSchema })
      const jointFolders = persistedStore<Folders>(backend, { folders: [] }, { name: 'folders', schema: foldersSchema })
      await Promise.all([hydrated(jointChats), hydrated(jointFolders)])
      jointChats.setState(initialChats())
      jointFolders.setState(initialFolders())
      await Promise.all([jointChats.persist.flush(), jointFolders.persist.flush()])
      const otherChats = persistedStore<Chats>(second, { conversations: [] }, { name: 'chats', schema: chatsSchema })
      await hydrated(otherChats)

      interfere = true
      await commitTogether([jointChats, jointFolders], () => {
        deleteConversation(jointChats, 'c1')
        unlink(jointFolders, 'c1')
      })
      expect(attempts).toBe(2)
      const reader = await db.open()
      const rows = await storedRows(reader)
      expect(rows.links).toEqual(['c2'])
      expect(rows.conversations).not.toContain('c1')
      expect(rows.conversations).toContain('c2')
      expect(jointChats.getState().conversations.map((c) => c.id)).not.toContain('c1')
      expect(jointFolders.getState().folders[0]?.conversationIds).toEqual(['c2'])
    })
  },
)
