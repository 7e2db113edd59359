import { describe, expect, it } from 'vitest'
import {
  collection,
  column,
  defineSchema,
  isZustandSqliteError,
  readStoredState,
  writeStoredState,
  writeStoredStates,
} from '@zustand-sqlite/core'
import type { Backend, ChangeSet } from '@zustand-sqlite/core'
import { databaseOn, engines } from '../../../test-utils/backends'
import { recordingBackend } from './helpers'
import type { Call } from './helpers'

const chatsSchema = defineSchema({
  state: { conversations: collection({ table: 'conversations', key: 'id', columns: { id: column.text() } }) },
})
const foldersSchema = defineSchema({
  state: { folders: collection({ table: 'folders', key: 'id', columns: { id: column.text() } }) },
})
const chats = { name: 'chats', schema: chatsSchema, version: 1 }
const folders = { name: 'folders', schema: foldersSchema, version: 1 }
const settings = { name: 'settings', version: 1 }

const ids = (list: readonly string[]) => list.map((id) => ({ id }))

async function failure(action: () => unknown): Promise<{ code?: string; store?: string; path?: string }> {
  try {
    await action()
  } catch (error) {
    expect(isZustandSqliteError(error), `expected a ZustandSqliteError, got ${String(error)}`).toBe(true)
    return error as { code?: string; store?: string; path?: string }
  }
  throw new Error('expected a failure')
}

const methods = (calls: readonly Call[]) => calls.map((c) => c.method)

describe.each(engines)('writeStoredStates on $name', (engine) => {
  const db = databaseOn(engine)

  it('writes every entry with one applyMany, resolving to the ChangeSets in order', async () => {
    const calls: Call[] = []
    const backend = recordingBackend(await db.open(), calls)
    await writeStoredState(backend, settings, { theme: 'dark' })
    const stored = await readStoredState(backend, settings)
    calls.length = 0

    const written = await writeStoredStates(backend, [
      { options: chats, next: { conversations: ids(['c1', 'c2']) } },
      { options: { ...settings, previous: stored }, next: { theme: 'dark' } },
      { options: folders, next: { folders: ids(['f1']) } },
    ])
    expect(written.map((c) => c?.store)).toEqual(['chats', undefined, 'folders'])
    expect(methods(calls).filter((m) => m === 'apply' || m === 'applyMany')).toEqual(['applyMany'])
    const [applied] = calls.find((c) => c.method === 'applyMany')?.args as [ChangeSet[]]
    expect(applied).toEqual([written[0], written[2]])
    expect((await readStoredState(backend, chats))?.state).toEqual({ conversations: ids(['c1', 'c2']) })
    expect((await readStoredState(backend, folders))?.state).toEqual({ folders: ids(['f1']) })
    expect((await readStoredState(backend, settings))?.revision).toBe(stored?.revision)
  })

  it('writes nothing when the second entry was read before another write', async () => {
    const backend = await db.open()
    await writeStoredStates(backend, [
      { options: chats, next: { conversations: ids(['c1']) } },
      { options: folders, next: { folders: ids(['f1']) } },
    ])
    const [readChats, readFolders] = [await readStoredState(backend, chats), await readStoredState(backend, folders)]
    await writeStoredState(backend, { ...folders, previous: readFolders }, { folders: ids(['f1', 'other']) })

    const error = await failure(() =>
      writeStoredStates(backend, [
        { options: { ...chats, previous: readChats }, next: { conversations: [] } },
        { options: { ...folders, previous: readFolders }, next: { folders: [] } },
      ]),
    )
    expect(error).toMatchObject({ code: 'CONCURRENT_MODIFICATION', store: 'folders' })
    expect((await readStoredState(backend, chats))?.state).toEqual({ conversations: ids(['c1']) })
    expect((await readStoredState(backend, folders))?.state).toEqual({ folders: ids(['f1', 'other']) })
  })

  it('writes nothing when an entry holds a value that cannot be stored, naming its store and path', async () => {
    const backend = await db.open()
    const error = await failure(() =>
      writeStoredStates(backend, [
        { options: chats, next: { conversations: ids(['c1']) } },
        { options: folders, next: { folders: [{ id: 'f1', size: 10n }] } },
      ]),
    )
    expect(error).toMatchObject({ code: 'UNSTORABLE_VALUE', store: 'folders', path: 'folders[id="f1"].size' })
    expect(await readStoredState(backend, chats)).toBeNull()
    expect(await readStoredState(backend, folders)).toBeNull()
  })

  it('refuses a backend without applyMany and a store named twice before preparing anything', async () => {
    const calls: Call[] = []
    const { applyMany, ...withoutApplyMany } = recordingBackend(await db.open(), calls)
    expect(applyMany).toBeTypeOf('function')
    const entries = [
      { options: chats, next: { conversations: ids(['c1']) } },
      { options: folders, next: { folders: ids(['f1']) } },
    ]
    expect(await failure(() => writeStoredStates(withoutApplyMany as Backend, entries))).toMatchObject({
      code: 'UNSUPPORTED_OPERATION',
    })
    const twice = [...entries, { options: chats, next: { conversations: [] } }]
    const backend = recordingBackend(await db.open(), calls)
    expect(await failure(() => writeStoredStates(backend, twice))).toMatchObject({
      code: 'INVALID_OPTIONS',
      store: 'chats',
    })
    expect(calls).toEqual([])
    expect(await writeStoredStates(backend, [])).toEqual([])
    expect(calls).toEqual([])
  })
})
