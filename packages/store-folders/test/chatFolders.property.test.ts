import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hydrated } from '@zustand-sqlite/core/testing'
import { createChatFoldersStore, FOLDERS_COLOR_PALETTE } from '@zustand-sqlite/store-folders'
import type { ChatFoldersState, ChatFoldersStore, DFolder } from '@zustand-sqlite/store-folders'
import { engines, tempDatabase } from '../../../test-utils/backends'

/** One random action, as data: indexes are taken modulo the length of what they point into. */
interface Action {
  kind: number
  a: number
  b: number
  text: string
}

const action: fc.Arbitrary<Action> = fc.record({
  kind: fc.nat({ max: 11 }),
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  text: fc.string({ maxLength: 8 }),
})

/** A few conversation ids, so that folders share them and the cascade finds them. */
const conversation = (n: number): string => `c${n % 6}`

function run(store: ChatFoldersStore, x: Action): void {
  const { folders } = store
  const folder = (n: number): DFolder | undefined => folders[n % Math.max(1, folders.length)]
  const id = folder(x.a)?.id ?? 'no-folder'
  switch (x.kind) {
    case 0:
      store.createFolder(x.text, x.b % 2 === 0 ? undefined : FOLDERS_COLOR_PALETTE[x.b % 21])
      return
    case 1:
      return store.deleteFolder(id)
    case 2:
      // `fromIndex` may be one past the end: the move is then ignored.
      return store.moveFolder(x.a % (folders.length + 1), x.b % (folders.length + 2))
    case 3:
      return store.setFolderName(id, x.text)
    case 4:
      return store.setFolderColor(id, FOLDERS_COLOR_PALETTE[x.b % 21] as string)
    case 5:
    case 6:
      return store.addConversationToFolder(id, conversation(x.b))
    case 7: {
      const ids = folder(x.a)?.conversationIds ?? []
      return store.removeConversationFromFolder(id, ids[x.b % Math.max(1, ids.length)] ?? 'none')
    }
    case 8:
      return x.b % 2 === 0 ? store.toggleFolderCollapsed(id) : store.setFolderCollapsed(id, x.b % 3 === 0)
    case 9:
      return store.removeConversationsFromFolders([conversation(x.b), conversation(x.b + x.a)])
    case 10:
      return store.toggleEnableFolders()
    default:
      return store.importFoldersAppend(
        [
          { id: id === 'no-folder' ? `imported-${x.b % 3}` : id, title: x.text, conversationIds: [conversation(x.b)] },
          { id: `imported-${x.a % 3}`, title: 'Imported', conversationIds: [conversation(x.a), conversation(x.a)] },
        ],
        x.b % 5 === 0,
      )
  }
}

const dataOf = (state: ChatFoldersState): ChatFoldersState => ({
  folders: state.folders,
  enableFolders: state.enableFolders,
})

describe.each(engines)('the chat folders store on $name', (engine) => {
  it('hydrates exactly what it persisted, after any sequence of folder actions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(action, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        async (batches, flushEach) => {
          const db = tempDatabase()
          try {
            const backend = await engine.open(db.file)
            const store = createChatFoldersStore({ backend, onError: () => undefined })
            await hydrated(store)
            for (const batch of batches) {
              for (const x of batch) run(store.getState(), x)
              if (flushEach) await store.persist.flush()
            }
            await store.persist.flush()
            const persisted = dataOf(store.getState())
            await backend.close()

            const reopened = await engine.open(db.file)
            try {
              const again = createChatFoldersStore({ backend: reopened })
              await hydrated(again)
              expect(dataOf(again.getState())).toStrictEqual(persisted)
            } finally {
              await reopened.close()
            }
          } finally {
            db.remove()
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})
