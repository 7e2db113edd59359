import { describe, expect, it, vi } from 'vitest'
import { commitTogether, whenHydrated } from '@zustand-sqlite/core'
import { createChatsStore, createDMessageTextContent } from '@zustand-sqlite/store-chats'
import { createChatFoldersStore } from '@zustand-sqlite/store-folders'
import { databaseOn, engines } from '../../../test-utils/backends'

describe.each(engines)('deleting conversations and their folder links together, on $name', (engine) => {
  const db = databaseOn(engine)

  async function open() {
    const backend = await db.open()
    const folders = createChatFoldersStore({ backend })
    const chats = createChatsStore({
      backend,
      onConversationsDeleted: (ids) => folders.getState().removeConversationsFromFolders(ids),
    })
    await Promise.all([whenHydrated(chats), whenHydrated(folders)])
    return { backend, chats, folders }
  }

  it('commits the conversation gone and its folder link gone in one transaction', async () => {
    const first = await open()
    const id = first.chats.getState().prependNewConversation()
    first.chats.getState().appendMessage(id, createDMessageTextContent('user', 'filed away'))
    const folderId = first.folders.getState().createFolder('Work')
    first.folders.getState().addConversationToFolder(folderId, id)
    await Promise.all([first.chats.persist.flush(), first.folders.persist.flush()])

    const applyMany = vi.spyOn(first.backend, 'applyMany')
    const apply = vi.spyOn(first.backend, 'apply')
    await commitTogether([first.chats, first.folders], () => first.chats.getState().deleteConversations([id]))
    expect(applyMany).toHaveBeenCalledTimes(1)
    expect(applyMany.mock.calls[0]?.[0].map((c) => c.store).sort()).toEqual(['app-chats', 'app-folders'])
    expect(apply).not.toHaveBeenCalled()
    await db.closeAll()

    const again = await open()
    expect(again.chats.getState().conversations.some((c) => c.id === id)).toBe(false)
    expect(again.folders.getState().folders.find((f) => f.id === folderId)?.conversationIds).toEqual([])
  })
})
