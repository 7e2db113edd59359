// @vitest-environment happy-dom
import { act, createElement } from 'react'
import { createRoot } from 'react-dom/client'
import { afterEach, describe, expect, it } from 'vitest'
import { useStore } from 'zustand'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { addConversationToChatFolder, createChatFolder, createChatFoldersStore } from '@zustand-sqlite/store-folders'
import type { ChatFoldersStoreApi } from '@zustand-sqlite/store-folders'

;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

function FolderList({ store }: { store: ChatFoldersStoreApi }) {
  const folders = useStore(store, (s) => s.folders)
  const toggleFolderCollapsed = useStore(store, (s) => s.toggleFolderCollapsed)
  return createElement(
    'ul',
    null,
    folders.map((folder) =>
      createElement(
        'li',
        { key: folder.id, onClick: () => toggleFolderCollapsed(folder.id) },
        `${folder.title} (${folder.conversationIds.length})${folder.isCollapsed === true ? ' closed' : ''}`,
      ),
    ),
  )
}

describe('the chat folders store in React', () => {
  const cleanups: (() => void)[] = []
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup()
  })

  it('renders the stored folders on the first render, and persists what a component changes', async () => {
    const backend = createBetterSqlite3Backend({ filename: ':memory:' })
    const { folder } = await createChatFolder(backend, { title: 'Work' })
    await addConversationToChatFolder(backend, folder.id, 'c1')
    const store = createChatFoldersStore({ backend })
    const container = document.createElement('div')
    const root = createRoot(container)
    cleanups.push(() => {
      act(() => root.unmount())
      backend.close()
    })

    act(() => root.render(createElement(FolderList, { store })))
    expect(container.textContent).toBe('Work (1)')

    const item = container.querySelector('li')
    act(() => item?.dispatchEvent(new MouseEvent('click', { bubbles: true })))
    expect(container.textContent).toBe('Work (1) closed')
    await store.persist.flush()
    expect(await backend.query('SELECT is_collapsed FROM chat_folders')).toEqual([{ is_collapsed: 1 }])
  })
})
