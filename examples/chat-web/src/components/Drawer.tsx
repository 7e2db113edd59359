import { useDeferredValue, useMemo, useState } from 'react'
import type { DragEvent } from 'react'
import { useStore } from 'zustand'
import { FOLDERS_COLOR_PALETTE } from '@zustand-sqlite/store-folders'
import type { DFolder } from '@zustand-sqlite/store-folders'
import type { DConversation } from '@zustand-sqlite/store-chats'
import type { AppStores } from '../storage'
import { listedConversations, messageText, titleOf } from '../view'

const DRAG_TYPE = 'application/x-chat-id'

interface DrawerProps {
  readonly stores: AppStores
  readonly openId: string | null
  readonly onOpen: (id: string) => void
}

/** The conversation drawer: search, new chat, folders (create, rename, collapse, drop a chat in), the chats. */
export function Drawer({ stores, openId, onOpen }: DrawerProps) {
  const conversations = useStore(stores.chats, (s) => s.conversations)
  const folders = useStore(stores.folders, (s) => s.folders)
  const enableFolders = useStore(stores.folders, (s) => s.enableFolders)
  const [query, setQuery] = useState('')
  const search = useDeferredValue(query.trim().toLowerCase())

  const listed = useMemo(() => listedConversations(conversations, openId), [conversations, openId])
  const matches = useMemo(() => {
    if (search === '') return null
    return listed.filter(
      (c) =>
        titleOf(c).toLowerCase().includes(search) ||
        c.messages.some((m) => messageText(m).toLowerCase().includes(search)),
    )
  }, [listed, search])
  const byId = useMemo(() => new Map(listed.map((c) => [c.id, c])), [listed])
  const inFolder = useMemo(() => new Set(folders.flatMap((f) => f.conversationIds)), [folders])

  const newChat = () => {
    const id = stores.chats.getState().prependNewConversation('Generic')
    onOpen(id)
  }
  const moveToFolder = (conversationId: string, folderId: string | null) => {
    const actions = stores.folders.getState()
    for (const folder of actions.folders)
      if (folder.id !== folderId && folder.conversationIds.includes(conversationId))
        actions.removeConversationFromFolder(folder.id, conversationId)
    if (folderId !== null) actions.addConversationToFolder(folderId, conversationId)
  }

  return (
    <nav className="drawer" aria-label="Conversations">
      <div className="drawer-tools">
        <input
          type="search"
          placeholder="Search chats"
          aria-label="Search chats"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
        <button type="button" className="primary" onClick={newChat}>
          New chat
        </button>
      </div>
      {matches !== null ? (
        <section className="drawer-section" data-testid="search-results">
          <h3>
            {matches.length} {matches.length === 1 ? 'match' : 'matches'}
          </h3>
          <ul className="chat-list">
            {matches.slice(0, 200).map((c) => (
              <ChatRow key={c.id} conversation={c} open={c.id === openId} onOpen={onOpen} />
            ))}
          </ul>
        </section>
      ) : (
        <div className="drawer-scroll">
          {enableFolders && (
            <section className="drawer-section" aria-label="Folders">
              <h3>
                Folders <NewFolder stores={stores} />
              </h3>
              {folders.map((folder) => (
                <Folder
                  key={folder.id}
                  stores={stores}
                  folder={folder}
                  chats={folder.conversationIds.flatMap((id) => byId.get(id) ?? [])}
                  openId={openId}
                  onOpen={onOpen}
                  onDropChat={(id) => moveToFolder(id, folder.id)}
                />
              ))}
            </section>
          )}
          <section
            className="drawer-section"
            aria-label="Chats"
            onDragOver={(event) => event.dataTransfer.types.includes(DRAG_TYPE) && event.preventDefault()}
            onDrop={(event) => {
              const id = event.dataTransfer.getData(DRAG_TYPE)
              if (id !== '') moveToFolder(id, null)
            }}
          >
            <h3>Chats</h3>
            <ul className="chat-list" data-testid="chat-list">
              {listed
                .filter((c) => !enableFolders || !inFolder.has(c.id))
                .map((c) => (
                  <ChatRow key={c.id} conversation={c} open={c.id === openId} onOpen={onOpen} />
                ))}
            </ul>
          </section>
        </div>
      )}
    </nav>
  )
}

function ChatRow({
  conversation,
  open,
  onOpen,
}: {
  conversation: DConversation
  open: boolean
  onOpen: (id: string) => void
}) {
  const onDragStart = (event: DragEvent) => {
    event.dataTransfer.setData(DRAG_TYPE, conversation.id)
    event.dataTransfer.effectAllowed = 'move'
  }
  return (
    <li>
      <button
        type="button"
        className={`chat-row ${open ? 'open' : ''}`}
        draggable
        onDragStart={onDragStart}
        onClick={() => onOpen(conversation.id)}
        data-chat-id={conversation.id}
        aria-current={open ? 'true' : undefined}
      >
        <span className="chat-title">{titleOf(conversation)}</span>
        <span className="chat-count">{conversation.messages.length}</span>
      </button>
    </li>
  )
}

function NewFolder({ stores }: { stores: AppStores }) {
  const [title, setTitle] = useState<string | null>(null)
  if (title === null)
    return (
      <button type="button" className="link" onClick={() => setTitle('')}>
        + New folder
      </button>
    )
  const create = () => {
    const actions = stores.folders.getState()
    if (title.trim() !== '') {
      const color = FOLDERS_COLOR_PALETTE[actions.folders.length % FOLDERS_COLOR_PALETTE.length]
      actions.createFolder(title.trim(), color)
    }
    setTitle(null)
  }
  return (
    <input
      autoFocus
      className="inline-input"
      aria-label="New folder name"
      value={title}
      onChange={(event) => setTitle(event.target.value)}
      onKeyDown={(event) => {
        if (event.key === 'Enter') create()
        if (event.key === 'Escape') setTitle(null)
      }}
      onBlur={create}
    />
  )
}

function Folder({
  stores,
  folder,
  chats,
  openId,
  onOpen,
  onDropChat,
}: {
  stores: AppStores
  folder: DFolder
  chats: DConversation[]
  openId: string | null
  onOpen: (id: string) => void
  onDropChat: (conversationId: string) => void
}) {
  const [renaming, setRenaming] = useState<string | null>(null)
  const [over, setOver] = useState(false)
  const collapsed = folder.isCollapsed === true
  const rename = () => {
    if (renaming !== null && renaming.trim() !== '') stores.folders.getState().setFolderName(folder.id, renaming.trim())
    setRenaming(null)
  }
  return (
    <div
      className={`folder ${over ? 'drop-target' : ''}`}
      data-folder-id={folder.id}
      onDragOver={(event) => {
        if (!event.dataTransfer.types.includes(DRAG_TYPE)) return
        event.preventDefault()
        setOver(true)
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(event) => {
        event.stopPropagation()
        setOver(false)
        const id = event.dataTransfer.getData(DRAG_TYPE)
        if (id !== '') onDropChat(id)
      }}
    >
      <div className="folder-head">
        <button
          type="button"
          className="folder-toggle"
          aria-expanded={!collapsed}
          aria-label={`${collapsed ? 'Open' : 'Close'} folder ${folder.title}`}
          onClick={() => stores.folders.getState().toggleFolderCollapsed(folder.id)}
        >
          {collapsed ? '▸' : '▾'}
        </button>
        <span className="folder-dot" style={{ background: folder.color ?? 'var(--muted)' }} />
        {renaming === null ? (
          <span className="folder-title" onDoubleClick={() => setRenaming(folder.title)} title="Double-click to rename">
            {folder.title}
          </span>
        ) : (
          <input
            autoFocus
            className="inline-input"
            aria-label={`Rename folder ${folder.title}`}
            value={renaming}
            onChange={(event) => setRenaming(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') rename()
              if (event.key === 'Escape') setRenaming(null)
            }}
            onBlur={rename}
          />
        )}
        <span className="chat-count">{chats.length}</span>
      </div>
      {!collapsed && (
        <ul className="chat-list nested">
          {chats.map((c) => (
            <ChatRow key={c.id} conversation={c} open={c.id === openId} onOpen={onOpen} />
          ))}
        </ul>
      )}
    </div>
  )
}
