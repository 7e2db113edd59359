import { describe, expect, it } from 'vitest'
import { hydrated } from '@zustand-sqlite/core/testing'
import type { Backend } from '@zustand-sqlite/core'
import {
  chatsDefinition,
  createChatsStore,
  createDConversation,
  createDMessageTextContent,
} from '@zustand-sqlite/store-chats'
import type { DConversation } from '@zustand-sqlite/store-chats'
import { chatFoldersDefinition, createChatFoldersStore } from '@zustand-sqlite/store-folders'
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

/** A stored conversation (one message, so that it is kept beside others) with the id `id`. */
const conversation = (id: string): DConversation => ({
  ...createDConversation(),
  id,
  messages: [createDMessageTextContent('user', `in ${id}`)],
})

/**
 * `backend`, handed to a store only once `release()` is called: the store hydrates after that, on every
 * engine, as it does after `create` returns on an asynchronous one.
 */
function heldBack(backend: Backend): { backend: () => Promise<Backend>; release: () => void } {
  let release = (): void => undefined
  const ready = new Promise<Backend>((resolve) => (release = () => resolve(backend)))
  return { backend: () => ready, release }
}

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

  describe('before the folders store has hydrated', () => {
    /** Stored folders: `gone` is in two of them, beside links that must stay. */
    async function storedFolders(): Promise<void> {
      await chatFoldersDefinition.update(await open(), (store) =>
        store.setState({
          folders: [
            { id: 'f1', title: 'One', conversationIds: ['c1', 'gone', 'c2'] },
            { id: 'f2', title: 'Two', conversationIds: ['gone'] },
            { id: 'f3', title: 'Three', conversationIds: ['c3'] },
          ],
          enableFolders: true,
        }),
      )
      await closeAll()
    }

    const kept = [['c1', 'c2'], [], ['c3']]

    it('keeps removeConversationsFromFolders called right after the store is created', async () => {
      await storedFolders()
      const backend = await open()
      const held = heldBack(backend)
      const folders = createChatFoldersStore({ backend: held.backend })
      folders.getState().removeConversationsFromFolders(['gone'])
      held.release()
      await hydrated(folders)
      await folders.persist.flush()
      expect(folders.getState().folders.map((f) => f.conversationIds)).toEqual(kept)
      expect(await memberships(backend)).toEqual(['f1:c1', 'f1:c2', 'f3:c3'])
      expect(folders.getState().folders.map((f) => f.title)).toEqual(['One', 'Two', 'Three'])
    })

    it('keeps the cascade of deleteConversations of a hydrated chats store', async () => {
      await storedFolders()
      const backend = await open()
      const held = heldBack(backend)
      const folders = createChatFoldersStore({ backend: held.backend })
      const chats = createChatsStore({
        backend,
        onConversationsDeleted: (ids) => folders.getState().removeConversationsFromFolders(ids),
      })
      await hydrated(chats)
      chats.getState().importConversation(conversation('gone'), false)
      chats.getState().importConversation(conversation('c1'), false)
      await chats.persist.flush()

      chats.getState().deleteConversations(['gone'])
      expect(folders.persist.hasHydrated()).toBe(false)
      held.release()
      await hydrated(folders)
      await Promise.all([chats.persist.flush(), folders.persist.flush()])
      expect(folders.getState().folders.map((f) => f.conversationIds)).toEqual(kept)
      expect(await memberships(backend)).toEqual(['f1:c1', 'f1:c2', 'f3:c3'])
      expect(await backend.query('SELECT id FROM conversations')).toEqual([{ id: 'c1' }])
    })

    it('keeps deleteConversations and its cascade when neither store has hydrated', async () => {
      await storedFolders()
      await chatsDefinition.update(await open(), (store) => {
        store.getState().importConversation(conversation('gone'), false)
        store.getState().importConversation(conversation('c1'), false)
      })
      await closeAll()

      const backend = await open()
      const held = heldBack(backend)
      const folders = createChatFoldersStore({ backend: held.backend })
      const chats = createChatsStore({
        backend: held.backend,
        onConversationsDeleted: (ids) => folders.getState().removeConversationsFromFolders(ids),
      })
      chats.getState().deleteConversations(['gone'])
      held.release()
      await Promise.all([hydrated(chats), hydrated(folders)])
      await Promise.all([chats.persist.flush(), folders.persist.flush()])
      expect(chats.getState().conversations.map((c) => c.id)).toEqual(['c1'])
      expect(await backend.query('SELECT id FROM conversations')).toEqual([{ id: 'c1' }])
      expect(folders.getState().folders.map((f) => f.conversationIds)).toEqual(kept)
      expect(await memberships(backend)).toEqual(['f1:c1', 'f1:c2', 'f3:c3'])
    })
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
