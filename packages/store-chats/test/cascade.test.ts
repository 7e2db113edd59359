import { describe, expect, it } from 'vitest'
import { hydrated } from '@zustand-sqlite/core/testing'
import type { Backend } from '@zustand-sqlite/core'
import { createChatsStore, createDMessageTextContent } from '@zustand-sqlite/store-chats'
import { createChatFoldersStore } from '@zustand-sqlite/store-folders'
import { databaseOn, engines, tempDatabase } from '../../../test-utils/backends'

/** The two stores wired as an app wires them: deleting conversations removes them from the folders. */
async function openStores(chatsBackend: Backend, foldersBackend: Backend) {
  const folders = createChatFoldersStore({ backend: foldersBackend })
  const chats = createChatsStore({
    backend: chatsBackend,
    onConversationsDeleted: (ids) => folders.getState().removeConversationsFromFolders(ids),
  })
  await Promise.all([hydrated(folders), hydrated(chats)])
  return { chats, folders }
}

/** Links in database order: by folder id (binary), then in folder order; stable for the rest. */
const byFolder = (links: string[]): string[] =>
  [...links].sort((p, q) => {
    const [fp = '', fq = ''] = [p.split(':')[0], q.split(':')[0]]
    return fp < fq ? -1 : fp > fq ? 1 : 0
  })

const memberships = async (backend: Backend): Promise<unknown[]> =>
  (await backend.query('SELECT folder_id, conversation_id FROM folder_conversations ORDER BY folder_id, sort_key')).map(
    (r) => `${String(r['folder_id'])}:${String(r['conversation_id'])}`,
  )

describe.each(engines)('chats and folders on $name', (engine) => {
  const { open, closeAll } = databaseOn(engine)

  it('sharing one database: a deleted conversation leaves every folder, in state and rows, for good', async () => {
    const backend = await open()
    const { chats, folders } = await openStores(backend, backend)
    const c = chats.getState()
    const ids = [0, 1, 2].map((i) => {
      const id = c.prependNewConversation()
      c.appendMessage(id, createDMessageTextContent('user', `chat ${i}`))
      return id
    })
    const [a, b, x] = ids as [string, string, string]
    const work = folders.getState().createFolder('Work')
    const home = folders.getState().createFolder('Home')
    folders.getState().addConversationToFolder(work, a)
    folders.getState().addConversationToFolder(work, x)
    folders.getState().addConversationToFolder(home, x)
    folders.getState().addConversationToFolder(home, b)
    await Promise.all([chats.persist.flush(), folders.persist.flush()])

    chats.getState().deleteConversations([x])
    await Promise.all([chats.persist.flush(), folders.persist.flush()])
    expect(folders.getState().folders.map((f) => f.conversationIds)).toEqual([[a], [b]])
    expect(await memberships(backend)).toEqual(byFolder([`${work}:${a}`, `${home}:${b}`]))
    expect(await backend.query('SELECT count(*) AS n FROM conversations WHERE id = ?', [x])).toEqual([{ n: 0 }])

    // Later writes of those folders (a move, a rename, another member) do not bring the link back.
    folders.getState().moveFolder(1, 0)
    folders.getState().setFolderName(work, 'Work stuff')
    folders.getState().addConversationToFolder(work, b)
    await folders.persist.flush()
    expect(await memberships(backend)).toEqual(byFolder([`${work}:${a}`, `${work}:${b}`, `${home}:${b}`]))

    await closeAll()
    const again = await open()
    const reopened = await openStores(again, again)
    expect(reopened.folders.getState().folders.flatMap((f) => f.conversationIds)).not.toContain(x)
    expect(reopened.chats.getState().conversations.map((conversation) => conversation.id)).not.toContain(x)
  })

  it('deleting a folder removes its memberships and leaves the conversations', async () => {
    const backend = await open()
    const { chats, folders } = await openStores(backend, backend)
    const id = chats.getState().prependNewConversation()
    chats.getState().appendMessage(id, createDMessageTextContent('user', 'kept'))
    const folder = folders.getState().createFolder('Temp')
    folders.getState().addConversationToFolder(folder, id)
    await Promise.all([chats.persist.flush(), folders.persist.flush()])
    folders.getState().deleteFolder(folder)
    await folders.persist.flush()
    expect(await memberships(backend)).toEqual([])
    expect(await backend.query('SELECT id FROM conversations')).toEqual([{ id }])
  })
})

describe('chats and folders on two databases', () => {
  it('cascade in state and in the folders database alike; a link to a chat of neither is kept', async () => {
    const chatsFile = tempDatabase()
    const foldersFile = tempDatabase()
    const [chatsBackend, foldersBackend] = await Promise.all([
      engines[0]!.open(chatsFile.file),
      engines[1]!.open(foldersFile.file),
    ])
    try {
      const { chats, folders } = await openStores(chatsBackend, foldersBackend)
      const a = chats.getState().prependNewConversation()
      chats.getState().appendMessage(a, createDMessageTextContent('user', 'a'))
      const incognito = chats.getState().prependNewConversation(undefined, true)
      const folder = folders.getState().createFolder('Mixed')
      folders.getState().addConversationToFolder(folder, a)
      // An incognito chat is never stored: the folder's link to it is kept all the same (the app's weak link).
      folders.getState().addConversationToFolder(folder, incognito)
      await Promise.all([chats.persist.flush(), folders.persist.flush()])
      expect(await memberships(foldersBackend)).toEqual([`${folder}:${a}`, `${folder}:${incognito}`])

      chats.getState().deleteConversations([a, incognito])
      await Promise.all([chats.persist.flush(), folders.persist.flush()])
      expect(folders.getState().folders[0]?.conversationIds).toEqual([])
      expect(await memberships(foldersBackend)).toEqual([])
    } finally {
      await chatsBackend.close()
      await foldersBackend.close()
      chatsFile.remove()
      foldersFile.remove()
    }
  })
})
