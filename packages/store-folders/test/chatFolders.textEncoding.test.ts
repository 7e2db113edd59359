import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { hydrated } from '@zustand-sqlite/core/testing'
import {
  addConversationToChatFolder,
  createChatFoldersStore,
  deleteChatFolder,
  listChatFolders,
  removeConversationFromChatFolder,
  updateChatFolder,
} from '@zustand-sqlite/store-folders'
import type { DFolder } from '@zustand-sqlite/store-folders'
import { databaseOn, engines } from '../../../test-utils/backends'

// Strings SQLite's UTF-8 TEXT cannot hold as they are: a lone surrogate (half of an emoji cut by `slice`) and
// NUL. Beside them, an id that an engine would write in place of the lone surrogate (U+FFFD).
const CUT = 'f\uD800'
const REPLACED = 'f\uFFFD'
const cutFolder: DFolder = { id: CUT, title: 'half \uD83D\u0000', conversationIds: ['c\uDC00\u0000'], color: '#\uDBFF' }
const otherFolder: DFolder = { id: REPLACED, title: 'replacement \uFFFD', conversationIds: [] }

describe.each(engines)('chat folders query functions with text SQLite cannot hold as it is, on $name', (engine) => {
  const { open } = databaseOn(engine)

  it('finds folders by such ids, with their own row times, and returns their text as it was set', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 10_000 })
    onTestFinished(() => void vi.useRealTimers())
    const backend = await open()
    const store = createChatFoldersStore({ backend })
    await hydrated(store)
    store.getState().importFoldersAppend([cutFolder], true)
    await store.persist.flush()
    vi.setSystemTime(20_000)
    store.getState().importFoldersAppend([otherFolder], true)
    await store.persist.flush()

    expect((await listChatFolders(backend)).folders).toEqual([
      { folder: cutFolder, createdAt: 10_000, updatedAt: 10_000 },
      { folder: otherFolder, createdAt: 20_000, updatedAt: 20_000 },
    ])

    vi.setSystemTime(30_000)
    const renamed = { ...cutFolder, title: 'cut \uDE00' }
    expect(await updateChatFolder(backend, CUT, { title: 'cut \uDE00' })).toEqual({
      folder: renamed,
      createdAt: 10_000,
      updatedAt: 30_000,
    })
    const added = await addConversationToChatFolder(backend, CUT, 'c\uD83D')
    expect(added.folder.conversationIds).toEqual(['c\uDC00\u0000', 'c\uD83D'])
    expect(added.createdAt).toBe(10_000)
    const removed = await removeConversationFromChatFolder(backend, CUT, 'c\uDC00\u0000')
    expect(removed.folder.conversationIds).toEqual(['c\uD83D'])
    expect(await updateChatFolder(backend, REPLACED, { isCollapsed: true })).toEqual({
      folder: { ...otherFolder, isCollapsed: true },
      createdAt: 20_000,
      updatedAt: 30_000,
    })

    await deleteChatFolder(backend, CUT)
    expect((await listChatFolders(backend)).folders.map((r) => r.folder.id)).toEqual([REPLACED])
  })
})
