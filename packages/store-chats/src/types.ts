import { isLoaded } from '@zustand-sqlite/core'

/** A conversation's id: `nanoid()` (21 characters) in the app; older data holds UUIDs. */
export type DConversationId = string
/** A message's id, unique within its conversation. */
export type DMessageId = string
/** A fragment's id (`nanoid(8)` in the app), unique only within its message. */
export type DMessageFragmentId = string

export type DMessageRole = 'user' | 'assistant' | 'system'

export type DMessageUserFlag = 'aix.skip' | 'starred' | 'notify.complete' | 'vnd.ant.cache.auto' | 'vnd.ant.cache.user'

/**
 * A fragment's part: `{ pt: 'text', text }`, `{ pt: 'error', error }`, `{ pt: 'doc', ... }`,
 * `{ pt: 'reference', ... }`, `{ pt: 'tool_invocation', ... }`, `{ pt: 'ma', ... }`, ... Part types keep
 * being added, so any `pt` is stored as it is, in full.
 */
export interface DMessageFragmentPart {
  pt: string
  [field: string]: unknown
}

/** One part of a message, in render order. Attachments add `title`, `caption`, `created`, `liveFileId`. */
export interface DMessageFragment {
  ft: 'content' | 'attachment' | 'void'
  fId: DMessageFragmentId
  part: DMessageFragmentPart
  originId?: string
  /** Opaque vendor data (reasoning signatures, encrypted items), kept as it is. */
  vendorState?: Record<string, unknown>
  title?: string
  caption?: string
  created?: number
  liveFileId?: string
}

export interface DMessageMetadata {
  inReferenceTo?: { mrt: 'dmsg'; mText: string; mRole: DMessageRole }[]
  entangled?: { id: string; color: string; count: number }
  initialRecipients?: { rt: 'persona'; personaUid: string | null }[]
  [field: string]: unknown
}

/** What produced a message: `{ mgt: 'named', name }` or `{ mgt: 'aix', name, aix: { vId, mId } }`, with metrics. */
export interface DMessageGenerator {
  mgt: 'named' | 'aix'
  name: string
  aix?: { vId: string; mId: string }
  metrics?: Record<string, unknown>
  tokenStopReason?: 'client-abort' | 'filter' | 'issue' | 'out-of-tokens'
  [field: string]: unknown
}

export interface DMessage {
  id: DMessageId
  role: DMessageRole
  fragments: DMessageFragment[]
  /** Transient: set while a message streams in; never stored. */
  pendingIncomplete?: boolean
  /** @deprecated kept for stored data */
  purposeId?: string
  metadata?: DMessageMetadata
  generator?: DMessageGenerator
  userFlags?: DMessageUserFlag[]
  /** A cache of the token count; 0 when not computed. */
  tokenCount: number
  created: number
  /** For a system message, non-null means the user edited it. */
  updated: number | null
}

export interface DConversation {
  id: DConversationId
  /**
   * Chronological order. In a store hydrated with `hydrate: 'onDemand'`, `NOT_LOADED` (an empty frozen
   * array) until the conversation's `loadMessages`: check with `messagesLoaded`, count with `messageCountOf`.
   */
  messages: DMessage[]
  /** While `messages` is not loaded (`hydrate: 'onDemand'`): how many messages are stored. Never stored itself. */
  messageCount?: number
  userTitle?: string
  autoTitle?: string
  isArchived?: boolean
  /** Transient: an incognito conversation is never stored. */
  _isIncognito?: boolean
  /** An emoji. */
  userSymbol?: string
  /** The persona: `'Generic'`, `'Developer'`, ... or a custom persona id. */
  systemPurposeId: string
  created: number
  updated: number | null
  /** A cache of the token count. */
  tokenCount: number
  /** Transient: aborts the generation running in this conversation; never stored. */
  _abortController?: AbortController | null
}

/** False while a conversation's messages are not loaded (`hydrate: 'onDemand'`), true once they are. */
export function messagesLoaded(conversation: Pick<DConversation, 'messages'>): boolean {
  return isLoaded(conversation.messages)
}

/** How many messages a conversation has, loaded or not. */
export function messageCountOf(conversation: Pick<DConversation, 'messages' | 'messageCount'>): number {
  return isLoaded(conversation.messages) ? conversation.messages.length : (conversation.messageCount ?? 0)
}

/** The title shown for a conversation: the user's, else the automatic one, else `''`. */
export function conversationTitle(conversation: Pick<DConversation, 'userTitle' | 'autoTitle'>): string {
  return conversation.userTitle || conversation.autoTitle || ''
}
