import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  addConversationToChatFolder,
  createChatFoldersStore,
  deleteChatFolder,
  importChatFoldersFromExport,
  importLegacyChatFolders,
  listChatFolders,
  removeConversationFromChatFolder,
  updateChatFolder,
} from '@zustand-sqlite/store-folders'
import type { DFolder } from '@zustand-sqlite/store-folders'
import { PROTOTYPE_NAMES, withStoreDatabase } from '../../../test-utils/stores'

/** Names that `Object.prototype` has: ids and keys like any other for the store. */

const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0)

/** A folder as sorted own entries; fails when its prototype is not `Object.prototype`. */
function entriesOf(folder: object): [string, unknown][] {
  expect(Object.getPrototypeOf(folder)).toBe(Object.prototype)
  return Object.entries(folder).sort(byKey)
}

/** A folder as a parsed import holds it: `extraKey` (maybe `__proto__`) an own, unknown key. */
function parsedFolder(id: string, title: string, conversationIds: string[], extraKey: string): DFolder {
  return JSON.parse(`{${JSON.stringify(extraKey)}:"extra",${JSON.stringify({ id, title, conversationIds }).slice(1)}`)
}

const withDatabase = withStoreDatabase(createChatFoldersStore)

const id = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.constantFrom('f1', 'c1', 'x'))

describe('the chat folders store with ids that are Object.prototype names', () => {
  it('keeps folders and conversations of such ids, and unknown keys of such names, through a reload', async () => {
    const operation = fc.record({ kind: fc.nat({ max: 6 }), folder: id, conversation: id, key: id })
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
        await withDatabase(async (open) => {
          const store = await open()
          let model: DFolder[] = []
          const edit = (folderId: string, change: (f: DFolder) => DFolder): void => {
            model = model.map((f) => (f.id === folderId ? change(f) : f))
          }
          for (const { kind, folder, conversation, key } of operations) {
            const s = store.getState()
            if (kind === 0 || kind === 1) {
              const imported = parsedFolder(folder, `t-${key}`, [conversation, key, conversation], key)
              s.importFoldersAppend([imported], false)
              model = [
                ...model.filter((f) => f.id !== folder),
                { ...imported, conversationIds: [...new Set(imported.conversationIds)] },
              ]
            } else if (kind === 2) {
              s.addConversationToFolder(folder, conversation)
              edit(folder, (f) =>
                f.conversationIds.includes(conversation)
                  ? f
                  : { ...f, conversationIds: [...f.conversationIds, conversation] },
              )
            } else if (kind === 3) {
              s.removeConversationFromFolder(folder, conversation)
              edit(folder, (f) => ({ ...f, conversationIds: f.conversationIds.filter((c) => c !== conversation) }))
            } else if (kind === 4) {
              s.removeConversationsFromFolders([conversation, key])
              model = model.map((f) => ({
                ...f,
                conversationIds: f.conversationIds.filter((c) => c !== conversation && c !== key),
              }))
            } else if (kind === 5) {
              s.setFolderName(folder, key)
              edit(folder, (f) => ({ ...f, title: key }))
            } else {
              s.deleteFolder(folder)
              model = model.filter((f) => f.id !== folder)
            }
          }
          const expected = model.map((f) => Object.entries(f).sort(byKey))
          expect(store.getState().folders.map(entriesOf)).toEqual(expected)
          await store.persist.flush()
          expect((await open()).getState().folders.map(entriesOf)).toEqual(expected)
        })
      }),
      { numRuns: 60 },
    )
  })

  it('imports legacy folders of such ids, with unknown keys of such names', () => {
    const folders = PROTOTYPE_NAMES.map((name) => parsedFolder(name, name, [name, 'gone'], name))
    const envelope = JSON.stringify({ state: { folders, enableFolders: true }, version: 0 })
    for (const imported of [
      importLegacyChatFolders(envelope, { conversationIds: PROTOTYPE_NAMES }),
      importChatFoldersFromExport(JSON.stringify({ conversations: [], folders: { folders, enableFolders: true } }), {
        conversationIds: PROTOTYPE_NAMES,
      }),
    ]) {
      expect(imported?.state.folders.map(entriesOf)).toEqual(
        PROTOTYPE_NAMES.map((name) =>
          Object.entries({ ...parsedFolder(name, name, [name], name), conversationIds: [name] }).sort(byKey),
        ),
      )
      expect(imported?.dangling).toEqual(PROTOTYPE_NAMES.map((name) => ({ folderId: name, conversationId: 'gone' })))
      expect(imported?.skipped).toEqual([])
    }
  })

  it('edits folders of such ids with the query functions', async () => {
    await withDatabase(async (open, connect) => {
      const store = await open()
      store.getState().importFoldersAppend(
        PROTOTYPE_NAMES.map((name) => ({ id: name, title: name, conversationIds: [] })),
        true,
      )
      await store.persist.flush()
      const backend = connect()
      await addConversationToChatFolder(backend, '__proto__', 'constructor')
      await addConversationToChatFolder(backend, '__proto__', '__proto__')
      await removeConversationFromChatFolder(backend, '__proto__', 'constructor')
      await updateChatFolder(backend, 'toString', { title: 'renamed', isCollapsed: true })
      await deleteChatFolder(backend, 'valueOf')
      const { folders } = await listChatFolders(backend)
      expect(folders.map(({ folder }) => [folder.id, folder.title, folder.conversationIds])).toEqual([
        ['__proto__', '__proto__', ['__proto__']],
        ['constructor', 'constructor', []],
        ['toString', 'renamed', []],
        ['hasOwnProperty', 'hasOwnProperty', []],
      ])
      expect((await open()).getState().folders.find((f) => f.id === 'toString')?.isCollapsed).toBe(true)
    })
  })
})
