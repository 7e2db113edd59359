import { useEffect, useMemo, useRef, useState } from 'react'
import { useStore } from 'zustand'
import { createDMessageTextContent } from '@zustand-sqlite/store-chats'
import type { DMessage } from '@zustand-sqlite/store-chats'
import type { AppStores } from '../storage'
import { Markdown } from './Markdown'
import { streamReply } from '../stream'
import type { Stream } from '../stream'
import { attachedFiles, isStarred, messageText, titleOf } from '../view'

interface ChatViewProps {
  readonly stores: AppStores
  readonly conversationId: string | null
  readonly onOpen: (id: string) => void
}

/** The open conversation: its messages, a reply that streams token by token, attachments and the composer. */
export function ChatView({ stores, conversationId, onOpen }: ChatViewProps) {
  const conversation = useStore(stores.chats, (s) => s.conversations.find((c) => c.id === conversationId))
  const disableMarkdown = useStore(stores.ui, (s) => s.disableMarkdown)
  const fullWidth = useStore(stores.ui, (s) => s.messageFullWidth)
  const enterIsNewline = useStore(stores.ui, (s) => s.enterIsNewline)
  const [draft, setDraft] = useState('')
  const [stream, setStream] = useState<Stream>()
  const end = useRef<HTMLDivElement>(null)
  const count = conversation?.messages.length ?? 0
  const last = conversation?.messages.at(-1)
  const lastLength = last === undefined ? 0 : messageText(last).length

  useEffect(() => {
    // Newer browsers return a promise from scrollIntoView: an effect must return nothing but a cleanup.
    void end.current?.scrollIntoView({ block: 'end' })
  }, [conversationId, count, lastLength])
  useEffect(() => () => stream?.stop(), [stream])

  if (conversation === undefined)
    return (
      <main className="chat empty">
        <p>No chat open. Pick one in the drawer, or start a new one.</p>
      </main>
    )

  const send = () => {
    const text = draft.trim()
    if (text === '' || stream !== undefined) return
    const actions = stores.chats.getState()
    actions.appendMessage(conversation.id, createDMessageTextContent('user', text))
    if (!conversation.userTitle && !conversation.autoTitle) actions.setAutoTitle(conversation.id, text.slice(0, 48))
    setDraft('')
    const reply = streamReply(stores.chats, conversation.id, text)
    setStream(reply)
    void reply.done.then(() => setStream(undefined))
  }

  return (
    <main className="chat" aria-label="Chat">
      <ChatHeader stores={stores} conversationId={conversation.id} title={titleOf(conversation)} onOpen={onOpen} />
      <div className={`messages ${fullWidth ? 'full' : ''}`} data-testid="messages">
        {conversation.messages.map((message) => (
          <Message key={message.id} message={message} plain={disableMarkdown} />
        ))}
        <div ref={end} />
      </div>
      <form
        className="composer"
        onSubmit={(event) => {
          event.preventDefault()
          send()
        }}
      >
        <textarea
          aria-label="Message"
          placeholder={enterIsNewline ? 'Type a message (Ctrl+Enter sends)' : 'Type a message (Enter sends)'}
          value={draft}
          rows={2}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={(event) => {
            const sends = enterIsNewline
              ? event.key === 'Enter' && event.ctrlKey
              : event.key === 'Enter' && !event.shiftKey
            if (sends) {
              event.preventDefault()
              send()
            }
          }}
        />
        {stream === undefined ? (
          <button type="submit" className="primary" disabled={draft.trim() === ''}>
            Send
          </button>
        ) : (
          <button type="button" onClick={() => stream.stop()}>
            Stop
          </button>
        )}
      </form>
    </main>
  )
}

function ChatHeader({
  stores,
  conversationId,
  title,
  onOpen,
}: {
  stores: AppStores
  conversationId: string
  title: string
  onOpen: (id: string) => void
}) {
  const folders = useStore(stores.folders, (s) => s.folders)
  const enableFolders = useStore(stores.folders, (s) => s.enableFolders)
  const assigned = useStore(stores.workspace, (s) => s.liveFilesByWorkspace[conversationId])
  const files = useStore(stores.workspace, (s) => s.files)
  const attached = useMemo(() => attachedFiles(assigned, files), [assigned, files])
  const current = folders.find((f) => f.conversationIds.includes(conversationId))?.id ?? ''
  const input = useRef<HTMLInputElement>(null)
  const [attachError, setAttachError] = useState<string>()
  // The workspace keeps files (content and history) in SQLite only; on the legacy storage it keeps assignments.
  const canAttach = stores.workspace.storage === 'sqlite'

  const moveTo = (folderId: string) => {
    const actions = stores.folders.getState()
    if (current !== '') actions.removeConversationFromFolder(current, conversationId)
    if (folderId !== '') actions.addConversationToFolder(folderId, conversationId)
  }
  const attach = async (list: FileList | null) => {
    setAttachError(undefined)
    try {
      await attachFiles(list)
    } catch (error) {
      setAttachError(error instanceof Error ? error.message : String(error))
    }
    if (input.current !== null) input.current.value = ''
  }
  const attachFiles = async (list: FileList | null) => {
    for (const file of Array.from(list ?? [])) {
      const workspace = stores.workspace.getState()
      const content =
        file.type.startsWith('text/') || file.type === '' ? await file.text() : new Uint8Array(await file.arrayBuffer())
      const id = workspace.createFile({
        name: file.name,
        content,
        ...(file.type === '' ? {} : { mimeType: file.type }),
      })
      workspace.liveFileAssign(conversationId, id)
    }
  }
  const remove = () => {
    const next = stores.chats.getState().deleteConversations([conversationId], 'Generic')
    stores.folders.getState().removeConversationsFromFolders([conversationId])
    onOpen(next)
  }

  return (
    <div className="chat-header">
      <h2 data-testid="chat-title">{title}</h2>
      {enableFolders && (
        <select aria-label="Folder" value={current} onChange={(event) => moveTo(event.target.value)}>
          <option value="">No folder</option>
          {folders.map((f) => (
            <option key={f.id} value={f.id}>
              {f.title}
            </option>
          ))}
        </select>
      )}
      {canAttach ? (
        <label className="button">
          Attach file
          <input
            ref={input}
            type="file"
            hidden
            aria-label="Attach file"
            onChange={(event) => void attach(event.target.files)}
          />
        </label>
      ) : (
        <button
          type="button"
          disabled
          title="The workspace keeps files in SQLite: they can be attached once this device moved to it"
        >
          Attach file
        </button>
      )}
      <button type="button" onClick={remove} aria-label="Delete chat">
        Delete
      </button>
      {attachError !== undefined && (
        <p className="bad small" role="alert">
          {attachError}
        </p>
      )}
      {attached.length > 0 && (
        <ul className="attachments" aria-label="Attached files">
          {attached.map((file) => (
            <li key={file.id} className="chip" title={file.path}>
              📎 {file.name}
              <span className="muted"> · {formatBytes(file.sizeBytes)}</span>
              <button
                type="button"
                className="link"
                aria-label={`Detach ${file.name}`}
                onClick={() => stores.workspace.getState().liveFileUnassign(conversationId, file.id)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

const formatBytes = (bytes: number): string => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`)

function Message({ message, plain }: { message: DMessage; plain: boolean }) {
  const text = messageText(message)
  return (
    <article
      className={`message ${message.role}`}
      data-message-id={message.id}
      data-pending={message.pendingIncomplete === true ? 'true' : undefined}
    >
      <header>
        <span className="role">
          {message.role === 'user' ? 'You' : message.role === 'assistant' ? 'Assistant' : 'System'}
        </span>
        {isStarred(message) && <span title="Starred">★</span>}
        {message.pendingIncomplete === true && <span className="typing">typing…</span>}
      </header>
      <div className="body">{plain ? <p className="plain">{text}</p> : <Markdown text={text} />}</div>
    </article>
  )
}
