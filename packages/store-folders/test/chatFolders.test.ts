import { readFileSync } from 'node:fs'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { hydrated } from '@zustand-sqlite/core/testing'
import { writeStoredState } from '@zustand-sqlite/core'
import type { Backend, CommitInfo } from '@zustand-sqlite/core'
import {
  addConversationToChatFolder,
  chatFoldersLegacyPersistOptions,
  chatFoldersSchema,
  createChatFoldersState,
  createChatFolder,
  createChatFoldersStore,
  deleteChatFolder,
  generateFolderId,
  importChatFoldersFromExport,
  importLegacyChatFolders,
  listChatFolders,
  removeConversationFromChatFolder,
  updateChatFolder,
} from '@zustand-sqlite/store-folders'
import type { ChatFoldersState, ChatFoldersStore, DFolder } from '@zustand-sqlite/store-folders'
import { databaseOn, engines, memoryLocalStorage, failure } from '../../../test-utils/backends'

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

/** nanoid's format: 21 characters of its URL-safe alphabet. */
const ID_FORMAT = /^[A-Za-z0-9_-]{21}$/

const dataOf = (state: ChatFoldersState): ChatFoldersState => ({
  folders: state.folders,
  enableFolders: state.enableFolders,
})

function imported(value: unknown, conversationIds?: Iterable<string>): ChatFoldersState {
  const result = importLegacyChatFolders(value, conversationIds === undefined ? {} : { conversationIds })
  if (result === null) throw new Error('expected folders')
  return result.state
}

/** Folder id and conversation id of every stored membership, by folder then by order within the folder. */
async function memberships(backend: Backend): Promise<[string, string][]> {
  const rows = await backend.query(
    'SELECT folder_id, conversation_id FROM folder_conversations ORDER BY folder_id, sort_key',
  )
  return rows.map((row) => [String(row['folder_id']), String(row['conversation_id'])])
}

const bare = () => createStore<ChatFoldersStore>()(createChatFoldersState())

describe('importLegacyChatFolders', () => {
  it('imports the 2024 shape: UUID ids, no colors, folder and conversation order kept', () => {
    const result = importLegacyChatFolders(fixture('app-folders.v0-2024.json'))
    expect(result).toEqual({
      state: {
        folders: [
          {
            id: '3f2b8c1e-7a4d-4e9b-9c1a-5d6e7f8a9b0c',
            title: 'Work',
            conversationIds: ['0b7e2d3c-1f4a-4b5c-8d9e-a1b2c3d4e5f6', '6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d'],
          },
          { id: '9d8c7b6a-5e4f-4d3c-8b2a-1f0e9d8c7b6a', title: 'Recipes', conversationIds: [] },
          {
            id: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
            title: 'Side projects',
            conversationIds: ['f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9'],
          },
        ],
        enableFolders: true,
      },
      dangling: [],
      skipped: [],
    })
    expect(result?.state.folders[0]).not.toHaveProperty('color')
  })

  it('imports colors and collapsed states, from JSON text, text encoded twice, or parsed', () => {
    const text = fixture('app-folders.v0-colors.json')
    const state = imported(text)
    expect(state.folders.map((f) => [f.title, f.color, f.isCollapsed])).toEqual([
      ['Research', '#407cf8', undefined],
      ['Drafts', '#f22a85', true],
      ['Later', undefined, false],
    ])
    expect(imported(JSON.stringify(text))).toEqual(state)
    expect(imported(JSON.parse(text))).toEqual(state)
  })

  it('imports messy data: reports dangling links and skipped entries, de-duplicates, keeps unknown keys', () => {
    const result = importLegacyChatFolders(fixture('app-folders.v0-messy.json'), {
      conversationIds: new Set(['conv-a', 'conv-b', 'conv-c']),
    })
    expect(result?.state).toEqual({
      folders: [
        {
          id: 'V1StGXR8_Z5jdHi6B-myT',
          title: 'Research',
          conversationIds: ['conv-a', 'conv-b'],
          color: '#407cf8',
          pinned: true,
        },
        { id: 'Uakgb_J5m9g-0JDMbcJqL', title: 'Broken links', conversationIds: [] },
        { id: 'lOkXVn2r4kvZ7h_1Wq9Yp', title: 'Mixed', conversationIds: ['conv-c'] },
      ],
      enableFolders: false,
      folderSortMode: 'manual',
    })
    expect(result?.dangling).toEqual([
      { folderId: 'V1StGXR8_Z5jdHi6B-myT', conversationId: 'conv-gone' },
      { folderId: 'lOkXVn2r4kvZ7h_1Wq9Yp', conversationId: 'incognito-1' },
    ])
    expect(result?.skipped.map((s) => s.index)).toEqual([1, 2, 3, 4, 5])
    expect(result?.skipped.map((s) => s.reason)).toEqual([
      'not an object',
      'no `id` (a non-empty string)',
      '`conversationIds` is not an array: imported with no conversations',
      'conversationIds[1] is not a conversation id: left out',
      'the id "V1StGXR8_Z5jdHi6B-myT" of the folder at index 0 again',
    ])
  })

  it('keeps every conversation id when the existing conversations are not given', () => {
    const result = importLegacyChatFolders(fixture('app-folders.v0-messy.json'))
    expect(result?.dangling).toEqual([])
    expect(result?.state.folders[0]?.conversationIds).toEqual(['conv-a', 'conv-gone', 'conv-b'])
    expect(result?.state.folders[2]?.conversationIds).toEqual(['conv-c', 'incognito-1'])
  })

  it('refuses a version with no migration path and data that is not an envelope', async () => {
    expect((await failure(() => importLegacyChatFolders(fixture('app-folders.v1-unknown.json'))))?.code).toBe(
      'MIGRATION_FAILED',
    )
    expect((await failure(() => importLegacyChatFolders('{"state":')))?.code).toBe('INVALID_LEGACY_DATA')
    expect((await failure(() => importLegacyChatFolders({ folders: [] })))?.code).toBe('INVALID_LEGACY_DATA')
    expect(await failure(() => importLegacyChatFolders({ state: { folders: {} }, version: 0 }))).toMatchObject({
      code: 'INVALID_LEGACY_DATA',
      path: 'app-folders.folders',
    })
    expect(importLegacyChatFolders(null)).toBeNull()
    expect(importLegacyChatFolders(undefined)).toBeNull()
    expect(imported({ state: {}, version: 0 })).toEqual({ folders: [], enableFolders: false })
  })
})

describe('importChatFoldersFromExport', () => {
  it('reads the folders section of an "export all chats" file, against the file conversations', () => {
    const text = fixture('backup_chats_localhost_2_1718000000000.agi.json')
    const file = JSON.parse(text) as { conversations: { id: string }[] }
    const result = importChatFoldersFromExport(text, { conversationIds: file.conversations.map((c) => c.id) })
    expect(result).toEqual({
      state: {
        folders: [
          {
            id: 'V1StGXR8_Z5jdHi6B-myT',
            title: 'Research',
            conversationIds: ['k3Jd9fLm2QxP7rT0vW1yZ'],
            color: '#407cf8',
          },
          { id: 'Uakgb_J5m9g-0JDMbcJqL', title: 'Code', conversationIds: ['pQ1rS2tU3vW4xY5zA6bC7'] },
        ],
        enableFolders: true,
      },
      dangling: [{ folderId: 'V1StGXR8_Z5jdHi6B-myT', conversationId: 'deleted-long-ago' }],
      skipped: [],
    })
    expect(importChatFoldersFromExport(file)?.state.folders[0]?.conversationIds).toHaveLength(2)
  })

  it('returns null for a file without folders, and refuses what is not such a file', async () => {
    expect(importChatFoldersFromExport({ conversations: [], models: { sources: [] } })).toBeNull()
    expect((await failure(() => importChatFoldersFromExport('[1, 2]')))?.code).toBe('INVALID_LEGACY_DATA')
    expect((await failure(() => importChatFoldersFromExport('{')))?.code).toBe('INVALID_LEGACY_DATA')
    expect(await failure(() => importChatFoldersFromExport({ conversations: [], folders: [] }))).toMatchObject({
      code: 'INVALID_LEGACY_DATA',
      path: 'export.folders',
    })
    expect(
      await failure(() => importChatFoldersFromExport({ folders: { folders: 'x', enableFolders: true } })),
    ).toMatchObject({ code: 'INVALID_LEGACY_DATA', path: 'export.folders.folders' })
  })
})

describe('the legacy path: Zustand persist in localStorage', () => {
  it('reads the app blob at version 0 and writes it back at version 0', () => {
    const { map, storage } = memoryLocalStorage({ 'app-folders': fixture('app-folders.v0-colors.json') })
    const store = createStore<ChatFoldersStore>()(
      persist(createChatFoldersState(), {
        ...chatFoldersLegacyPersistOptions,
        storage: createJSONStorage(() => storage),
      }),
    )
    expect(store.getState().folders.map((f) => f.title)).toEqual(['Research', 'Drafts', 'Later'])
    store.getState().toggleFolderCollapsed('V1StGXR8_Z5jdHi6B-myT')
    const written = JSON.parse(map.get('app-folders') ?? '{}') as { state: ChatFoldersState; version: number }
    expect(written.version).toBe(0)
    expect(written.state.folders[0]?.isCollapsed).toBe(true)
  })

  it('reports a newer version as MIGRATION_FAILED instead of loading defaults silently', () => {
    const { storage } = memoryLocalStorage({ 'app-folders': fixture('app-folders.v1-unknown.json') })
    const errors: unknown[] = []
    createStore<ChatFoldersStore>()(
      persist(createChatFoldersState(), {
        ...chatFoldersLegacyPersistOptions,
        storage: createJSONStorage(() => storage),
        onRehydrateStorage: () => (_state, error) => void errors.push(error),
      }),
    )
    expect((errors[0] as { code?: string } | undefined)?.code).toBe('MIGRATION_FAILED')
  })
})

describe('chat folders actions', () => {
  it('creates folders with nanoid ids, at the end, with a color only when one is given', () => {
    const ids = new Set(Array.from({ length: 200 }, () => generateFolderId()))
    expect(ids.size).toBe(200)
    for (const id of ids) expect(id).toMatch(ID_FORMAT)
    const store = bare()
    const a = store.getState().createFolder('A')
    const b = store.getState().createFolder('B', '#42940f')
    expect(store.getState().folders).toEqual([
      { id: a, title: 'A', conversationIds: [] },
      { id: b, title: 'B', conversationIds: [], color: '#42940f' },
    ])
    expect(store.getState().folders[0]).not.toHaveProperty('color')
  })

  it('adds a conversation once per folder, and to several folders', () => {
    const store = bare()
    const s = store.getState
    const a = s().createFolder('A')
    const b = s().createFolder('B')
    s().addConversationToFolder(a, 'c1')
    s().addConversationToFolder(a, 'c2')
    const before = s()
    s().addConversationToFolder(a, 'c1')
    expect(s()).toBe(before)
    s().addConversationToFolder(b, 'c1')
    s().addConversationToFolder('unknown', 'c1')
    expect(s().folders.map((f) => f.conversationIds)).toEqual([['c1', 'c2'], ['c1']])
    s().removeConversationFromFolder(a, 'c1')
    expect(s().folders.map((f) => f.conversationIds)).toEqual([['c2'], ['c1']])
  })

  it('moves folders as splice does, and ignores an index outside the list', () => {
    const store = bare()
    const s = store.getState
    for (const title of ['A', 'B', 'C', 'D']) s().createFolder(title)
    const titles = () => s().folders.map((f) => f.title)
    s().moveFolder(0, 2)
    expect(titles()).toEqual(['B', 'C', 'A', 'D'])
    s().moveFolder(3, 0)
    expect(titles()).toEqual(['D', 'B', 'C', 'A'])
    const before = s()
    s().moveFolder(4, 0)
    s().moveFolder(-1, 0)
    s().moveFolder(1, 1)
    expect(s()).toBe(before)
  })

  it('renames, colors (or removes the color), collapses and deletes by id; toggles enableFolders', () => {
    const store = bare()
    const s = store.getState
    const a = s().createFolder('A')
    const b = s().createFolder('B')
    s().setFolderName(a, 'Alpha')
    s().setFolderColor(a, '#828282')
    s().setFolderCollapsed(a, true)
    s().toggleFolderCollapsed(b)
    s().toggleFolderCollapsed(a)
    s().toggleEnableFolders()
    expect(s().folders).toEqual([
      { id: a, title: 'Alpha', conversationIds: [], color: '#828282', isCollapsed: false },
      { id: b, title: 'B', conversationIds: [], isCollapsed: true },
    ])
    expect(s().enableFolders).toBe(true)
    s().setFolderColor(a, undefined)
    expect(s().folders[0]).toEqual({ id: a, title: 'Alpha', conversationIds: [], isCollapsed: false })
    expect(s().folders[0]).not.toHaveProperty('color')
    const uncolored = s().folders
    s().setFolderColor(b, undefined)
    expect(s().folders).toBe(uncolored)
    s().deleteFolder(a)
    expect(s().folders.map((f) => f.id)).toEqual([b])
    const before = s()
    s().deleteFolder(a)
    s().setFolderName('unknown', 'x')
    expect(s()).toBe(before)
  })

  it('removes deleted conversations from every folder in one set, keeping untouched folders as they were', () => {
    const store = bare()
    const s = store.getState
    const a = s().createFolder('A')
    const b = s().createFolder('B')
    const c = s().createFolder('C')
    for (const [folder, cId] of [
      [a, 'c1'],
      [a, 'c2'],
      [b, 'c3'],
      [c, 'c2'],
      [c, 'c4'],
    ] as const)
      s().addConversationToFolder(folder, cId)
    const before = s().folders
    let sets = 0
    store.subscribe(() => void sets++)
    s().removeConversationsFromFolders(['c2', 'c9'])
    expect(sets).toBe(1)
    expect(s().folders.map((f) => f.conversationIds)).toEqual([['c1'], ['c3'], ['c4']])
    expect(s().folders[1]).toBe(before[1])
    const after = s()
    s().removeConversationsFromFolders(['c2', 'c9'])
    s().removeConversationsFromFolders([])
    expect(sets).toBe(1)
    expect(s()).toBe(after)
  })

  it('imports folders as the app does: same ids replaced and moved to the end, others appended, setting ORed', () => {
    const store = bare()
    const s = store.getState
    s().importFoldersAppend(
      [
        { id: 'f1', title: 'One', conversationIds: ['c1'] },
        { id: 'f2', title: 'Two', conversationIds: [] },
      ],
      true,
    )
    s().importFoldersAppend(
      [
        { id: 'f1', title: 'One again', conversationIds: ['c1', 'c2', 'c1'] },
        { id: 'f3', title: 'Three', conversationIds: [] },
      ],
      false,
    )
    expect(dataOf(s())).toEqual({
      folders: [
        { id: 'f2', title: 'Two', conversationIds: [] },
        { id: 'f1', title: 'One again', conversationIds: ['c1', 'c2'] },
        { id: 'f3', title: 'Three', conversationIds: [] },
      ],
      enableFolders: true,
    })
  })
})

describe.each(engines)('chat folders store on $name', (engine) => {
  const { open, closeAll } = databaseOn(engine)

  async function storeWith(state: ChatFoldersState, commits?: CommitInfo[]) {
    const backend = await open()
    const store = createChatFoldersStore({
      backend,
      ...(commits === undefined ? {} : { onCommit: (c: CommitInfo) => void commits.push(c) }),
    })
    await hydrated(store)
    store.setState(state)
    await store.persist.flush()
    return { backend, store }
  }

  it('round-trips folders, their order and the order of their conversations through a restart', async () => {
    const { store: first } = await storeWith(imported(fixture('app-folders.v0-colors.json')))
    const s = first.getState
    const id = s().createFolder('New', '#cb6701')
    s().addConversationToFolder(id, 'z-last')
    s().addConversationToFolder(id, 'a-first')
    s().moveFolder(3, 0)
    s().addConversationToFolder('V1StGXR8_Z5jdHi6B-myT', '0-zero')
    await first.persist.flush()
    const expected = dataOf(s())
    await closeAll()

    const second = createChatFoldersStore({ backend: await open() })
    await hydrated(second)
    expect(dataOf(second.getState())).toStrictEqual(expected)
    expect(second.getState().folders.map((f) => f.title)).toEqual(['New', 'Research', 'Drafts', 'Later'])
    expect(second.getState().folders[0]?.conversationIds).toEqual(['z-last', 'a-first'])
    expect(second.getState().folders[1]?.conversationIds).toEqual([
      'k3Jd9fLm2QxP7rT0vW1yZ',
      'aB4cD5eF6gH7iJ8kL9mN0',
      '0-zero',
    ])
  })

  it('writes one row to move a folder, and stamps only that row', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 })
    onTestFinished(() => void vi.useRealTimers())
    const commits: CommitInfo[] = []
    const { backend, store } = await storeWith(imported(fixture('app-folders.v0-2024.json')), commits)
    vi.setSystemTime(2_000_000)
    store.getState().moveFolder(2, 0)
    await store.persist.flush()
    expect(commits.at(-1)?.tables).toEqual({ chat_folders: 1 })
    expect(await backend.query('SELECT title, created_at, updated_at FROM chat_folders ORDER BY sort_key')).toEqual([
      { title: 'Side projects', created_at: 1_000_000, updated_at: 2_000_000 },
      { title: 'Work', created_at: 1_000_000, updated_at: 1_000_000 },
      { title: 'Recipes', created_at: 1_000_000, updated_at: 1_000_000 },
    ])
  })

  it('writes one row to add a conversation to a folder, stamped with added_at', async () => {
    const commits: CommitInfo[] = []
    const { backend, store } = await storeWith(imported(fixture('app-folders.v0-2024.json')), commits)
    const folderId = '9d8c7b6a-5e4f-4d3c-8b2a-1f0e9d8c7b6a'
    const t0 = Date.now()
    store.getState().addConversationToFolder(folderId, 'new-chat')
    await store.persist.flush()
    expect(commits.at(-1)?.tables).toEqual({ folder_conversations: 1 })
    const [row] = await backend.query('SELECT added_at FROM folder_conversations WHERE folder_id = ?', [folderId])
    expect(row?.['added_at']).toBeGreaterThanOrEqual(t0)
    store.getState().setFolderName(folderId, 'Cooking')
    await store.persist.flush()
    expect(commits.at(-1)?.tables).toEqual({ chat_folders: 1 })
    store.getState().toggleEnableFolders()
    await store.persist.flush()
    expect(commits.at(-1)?.tables).toEqual({ chat_folders_settings: 1 })
    const created = store.getState().createFolder('New')
    await store.persist.flush()
    expect(commits.at(-1)?.tables).toEqual({ chat_folders: 1 })
    store.getState().addConversationToFolder(created, 'new-chat')
    store.getState().removeConversationsFromFolders(['new-chat'])
    await store.persist.flush()
    // Added and removed within one tick: the folder written before holds neither, so only the removal of
    // the link stored earlier is written.
    expect(commits.at(-1)?.tables).toEqual({ folder_conversations: 1 })
  })

  it('makes the actions called before hydration on the stored folders', async () => {
    const { backend } = await storeWith({
      folders: [
        { id: 'f1', title: 'One', conversationIds: ['c1'], color: '#407cf8' },
        { id: 'f2', title: 'Two', conversationIds: ['c2'] },
        { id: 'f3', title: 'Three', conversationIds: [] },
      ],
      enableFolders: false,
    })
    let release = (): void => undefined
    const ready = new Promise<Backend>((resolve) => (release = () => resolve(backend)))
    const store = createChatFoldersStore({ backend: () => ready })
    const s = store.getState
    s().setFolderName('f2', 'Second')
    s().setFolderColor('f1', undefined)
    s().addConversationToFolder('f1', 'c3')
    s().removeConversationFromFolder('f2', 'c2')
    s().toggleFolderCollapsed('f3')
    s().moveFolder(2, 0)
    s().deleteFolder('f1')
    const created = s().createFolder('New')
    s().toggleEnableFolders()
    release()
    await hydrated(store)
    await store.persist.flush()
    const expected: ChatFoldersState = {
      folders: [
        { id: 'f3', title: 'Three', conversationIds: [], isCollapsed: true },
        { id: 'f2', title: 'Second', conversationIds: [] },
        { id: created, title: 'New', conversationIds: [] },
      ],
      enableFolders: true,
    }
    expect(dataOf(s())).toEqual(expected)
    expect(await listChatFolders(backend).then((list) => list.folders.map((r) => r.folder))).toEqual(expected.folders)
  })

  it('deletes the memberships of a deleted folder in the database', async () => {
    const { backend, store } = await storeWith(imported(fixture('app-folders.v0-2024.json')))
    store.getState().deleteFolder('3f2b8c1e-7a4d-4e9b-9c1a-5d6e7f8a9b0c')
    await store.persist.flush()
    expect(await memberships(backend)).toEqual([
      ['c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9'],
    ])
    expect(await backend.query('SELECT count(*) AS n FROM chat_folders')).toEqual([{ n: 2 }])
  })

  it('cascades deleted conversations: out of every folder in state and database, and not written back', async () => {
    const { backend, store } = await storeWith({
      folders: [
        { id: 'f1', title: 'One', conversationIds: ['c1', 'gone', 'c2'] },
        { id: 'f2', title: 'Two', conversationIds: ['gone'] },
        { id: 'f3', title: 'Three', conversationIds: ['c3'] },
      ],
      enableFolders: true,
    })
    const s = store.getState
    s().removeConversationsFromFolders(['gone'])
    await store.persist.flush()
    const expected = [
      ['f1', 'c1'],
      ['f1', 'c2'],
      ['f3', 'c3'],
    ]
    expect(await memberships(backend)).toEqual(expected)
    expect(s().folders.map((f) => f.conversationIds)).toEqual([['c1', 'c2'], [], ['c3']])

    s().moveFolder(1, 0)
    s().setFolderName('f1', 'Renamed')
    s().addConversationToFolder('f2', 'c4')
    s().toggleFolderCollapsed('f1')
    await store.persist.flush()
    expect(await memberships(backend)).toEqual([...expected.slice(0, 2), ['f2', 'c4'], ...expected.slice(2)])
    expect(
      await backend.query(`SELECT count(*) AS n FROM folder_conversations WHERE conversation_id = 'gone'`),
    ).toEqual([{ n: 0 }])
    await closeAll()
    const again = createChatFoldersStore({ backend: await open() })
    await hydrated(again)
    expect(again.getState().folders.flatMap((f) => f.conversationIds)).not.toContain('gone')
  })

  it('keeps unknown keys of folders and of the state through a restart, in the extra columns', async () => {
    const { backend } = await storeWith(imported(fixture('app-folders.v0-messy.json')))
    expect(await backend.query(`SELECT extra FROM chat_folders WHERE id = 'V1StGXR8_Z5jdHi6B-myT'`)).toEqual([
      { extra: '{"pinned":true}' },
    ])
    expect(await backend.query('SELECT enable_folders, extra FROM chat_folders_settings')).toEqual([
      { enable_folders: 0, extra: '{"folderSortMode":"manual"}' },
    ])
    await closeAll()
    const again = createChatFoldersStore({ backend: await open() })
    await hydrated(again)
    const state = again.getState() as ChatFoldersStore & { folderSortMode?: string }
    expect(state.folderSortMode).toBe('manual')
    expect((state.folders[0] as DFolder & { pinned?: boolean }).pinned).toBe(true)
  })

  it('does not hydrate a state version it does not know, and leaves the rows as they were', async () => {
    const backend = await open()
    await writeStoredState(
      backend,
      { name: 'app-folders', schema: chatFoldersSchema, version: 1 },
      { folders: [{ id: 'f1', title: 'From a newer app', conversationIds: [] }], enableFolders: true },
    )
    const errors: unknown[] = []
    const store = createChatFoldersStore({ backend, onError: (e) => void errors.push(e) })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(store.persist.hasHydrated()).toBe(false)
    expect((errors[0] as { code?: string }).code).toBe('MIGRATION_FAILED')
    expect((await failure(() => listChatFolders(backend)))?.code).toBe('MIGRATION_FAILED')
    expect(await backend.query('SELECT title FROM chat_folders')).toEqual([{ title: 'From a newer app' }])
  })
})

describe.each(engines)('chat folders query functions on $name', (engine) => {
  const { open } = databaseOn(engine)

  it('lists, creates, updates and deletes folders, and adds and removes conversations', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 10_000 })
    onTestFinished(() => void vi.useRealTimers())
    const backend = await open()
    expect(await listChatFolders(backend)).toEqual({ folders: [], enableFolders: false })

    const work = await createChatFolder(backend, { title: 'Work', color: '#407cf8' })
    expect(work).toEqual({
      folder: { id: work.folder.id, title: 'Work', conversationIds: [], color: '#407cf8' },
      createdAt: 10_000,
      updatedAt: 10_000,
    })
    expect(work.folder.id).toMatch(ID_FORMAT)
    const home = await createChatFolder(backend, { title: 'Home', isCollapsed: true, color: null })
    expect(home.folder).toEqual({ id: home.folder.id, title: 'Home', conversationIds: [], isCollapsed: true })

    vi.setSystemTime(20_000)
    const renamed = await updateChatFolder(backend, work.folder.id, { title: 'Office', color: null })
    expect(renamed).toEqual({
      folder: { id: work.folder.id, title: 'Office', conversationIds: [] },
      createdAt: 10_000,
      updatedAt: 20_000,
    })
    vi.setSystemTime(30_000)
    expect(await updateChatFolder(backend, work.folder.id, { title: 'Office' })).toEqual(renamed)

    await addConversationToChatFolder(backend, home.folder.id, 'c1')
    await addConversationToChatFolder(backend, home.folder.id, 'c2')
    const twice = await addConversationToChatFolder(backend, home.folder.id, 'c1')
    expect(twice.folder.conversationIds).toEqual(['c1', 'c2'])
    // Memberships are rows of their own: the folder row is not written.
    expect(twice.updatedAt).toBe(10_000)
    const removed = await removeConversationFromChatFolder(backend, home.folder.id, 'c1')
    expect(removed.folder.conversationIds).toEqual(['c2'])
    expect((await removeConversationFromChatFolder(backend, home.folder.id, 'not-there')).folder).toEqual(
      removed.folder,
    )

    const list = await listChatFolders(backend)
    expect(list.folders.map((r) => [r.folder.title, r.createdAt, r.updatedAt])).toEqual([
      ['Office', 10_000, 20_000],
      ['Home', 10_000, 10_000],
    ])
    const store = createChatFoldersStore({ backend })
    await hydrated(store)
    expect(store.getState().folders).toEqual(list.folders.map((r) => r.folder))

    await deleteChatFolder(backend, home.folder.id)
    expect((await listChatFolders(backend)).folders.map((r) => r.folder.id)).toEqual([work.folder.id])
    expect(await backend.query('SELECT count(*) AS n FROM folder_conversations')).toEqual([{ n: 0 }])
  })

  it('runs calls made at once one after another, none lost', async () => {
    const backend = await open()
    const { folder } = await createChatFolder(backend, { title: 'Work' })
    const results = await Promise.all([
      createChatFolder(backend, { title: 'Home' }),
      addConversationToChatFolder(backend, folder.id, 'c1'),
      updateChatFolder(backend, folder.id, { title: 'Office', color: '#407cf8', isCollapsed: true }),
      addConversationToChatFolder(backend, folder.id, 'c2'),
    ])
    expect(results[3].folder).toEqual({
      id: folder.id,
      title: 'Office',
      conversationIds: ['c1', 'c2'],
      color: '#407cf8',
      isCollapsed: true,
    })
    const list = await listChatFolders(backend)
    expect(list.folders.map((r) => r.folder)).toEqual([results[3].folder, results[0].folder])
  })

  it('refuses bad input with INVALID_VALUE naming it, and writes nothing', async () => {
    const backend = await open()
    const { folder } = await createChatFolder(backend, { title: 'Work' })
    const before = await listChatFolders(backend)
    const cases: [() => Promise<unknown>, string][] = [
      [() => createChatFolder(backend, {}), 'chat-folder.title'],
      [() => createChatFolder(backend, { title: '' }), 'chat-folder.title'],
      [() => createChatFolder(backend, { title: 'x'.repeat(513) }), 'chat-folder.title'],
      [() => createChatFolder(backend, { title: 'A', color: 7 }), 'chat-folder.color'],
      [() => createChatFolder(backend, { title: 'A', conversationIds: ['c1'] }), 'chat-folder.conversationIds'],
      [() => createChatFolder(backend, 'A'), 'chat-folder'],
      [() => updateChatFolder(backend, folder.id, { isCollapsed: 'yes' }), 'chat-folder.isCollapsed'],
      [() => updateChatFolder(backend, folder.id, { id: 'other' }), 'chat-folder.id'],
      [() => updateChatFolder(backend, '', { title: 'B' }), 'folderId'],
      [() => deleteChatFolder(backend, 42 as unknown as string), 'folderId'],
      [() => addConversationToChatFolder(backend, folder.id, ''), 'conversationId'],
      [() => removeConversationFromChatFolder(backend, folder.id, 'x'.repeat(129)), 'conversationId'],
    ]
    for (const [action, path] of cases) {
      expect(await failure(action)).toMatchObject({ code: 'INVALID_VALUE', path })
    }
    expect(await listChatFolders(backend)).toEqual(before)
  })

  it('throws NOT_FOUND for a folder that is not stored, and writes nothing', async () => {
    const backend = await open()
    await createChatFolder(backend, { title: 'Work' })
    const before = await listChatFolders(backend)
    for (const action of [
      () => updateChatFolder(backend, 'missing', { title: 'B' }),
      () => deleteChatFolder(backend, 'missing'),
      () => addConversationToChatFolder(backend, 'missing', 'c1'),
      () => removeConversationFromChatFolder(backend, 'missing', 'c1'),
    ]) {
      expect(await failure(action)).toMatchObject({ code: 'NOT_FOUND', path: 'folderId' })
    }
    expect(await listChatFolders(backend)).toEqual(before)
  })
})
