import { isLoaded, replaceAt, replaceStored, returningSet, ZustandSqliteError } from '@zustand-sqlite/core'
import type { StateCreator } from 'zustand/vanilla'
import { indexOfConversation, isEmptyConversation, storedConversations } from './conversationList'
import { createChatId, createDConversation } from './factories'
import { cutOffPlaceholderError } from './placeholders'
import type {
  DConversation,
  DConversationId,
  DMessage,
  DMessageFragment,
  DMessageFragmentId,
  DMessageId,
  DMessageMetadata,
} from './types'

/** The state of the chats store: every conversation, in drawer order (new ones first). */
export interface ChatsState {
  conversations: DConversation[]
}

/** What is persisted: the conversations that are neither incognito nor empty (see {@link partializeChats}). */
export interface PersistedChats {
  conversations: DConversation[]
}

/** A change to a message: fields to set, or a function of the message returning them. */
export type DMessageUpdate = Partial<DMessage> | ((message: DMessage) => Partial<DMessage>)

/** The chats store's actions: those of the app that change conversations, plus its transient helpers. */
export interface ChatsActions {
  /** A new empty conversation at the top of the list; an incognito one is never stored. Returns its id. */
  prependNewConversation: (personaId?: string, isIncognito?: boolean) => DConversationId
  /**
   * Puts a conversation at the top. When one with the same id exists, its generation is aborted, and
   * with `preventClash` the imported one gets a new id (both are kept); without, it replaces it.
   * Returns the id the conversation has in the store.
   */
  importConversation: (conversation: DConversation, preventClash: boolean) => DConversationId
  /**
   * A copy of a conversation up to and including message `messageId` (all of it with `null`), at the top,
   * with a new id (incognito when the source is). Returns its id, or `null` when the conversation or the
   * message is not there.
   */
  branchConversation: (conversationId: DConversationId, messageId: DMessageId | null) => DConversationId | null
  /**
   * Deletes conversations (aborting their generations) and tells `onConversationsDeleted`. When none
   * remain, an empty one is created. Returns the id to show next: the conversation now at the first deleted
   * one's place. Called before the store has hydrated, the deletion is made again on the stored
   * conversations once they are loaded; the id returned is then of the state at the call.
   */
  deleteConversations: (conversationIds: readonly DConversationId[], newPersonaId?: string) => DConversationId
  appendMessage: (conversationId: DConversationId, message: DMessage) => void
  /**
   * Changes a message. `removePendingState` clears its pending flag; `touchUpdated` (default true) sets
   * the message's and the conversation's `updated` to now. Streaming passes `false`: only the message
   * row changes then.
   */
  editMessage: (
    conversationId: DConversationId,
    messageId: DMessageId,
    update: DMessageUpdate,
    removePendingState?: boolean,
    touchUpdated?: boolean,
  ) => void
  deleteMessage: (conversationId: DConversationId, messageId: DMessageId) => void
  /** Adds a fragment at the end of a message. `touch` (default false) sets `updated` as `editMessage` does. */
  appendMessageFragment: (
    conversationId: DConversationId,
    messageId: DMessageId,
    fragment: DMessageFragment,
    removePendingState?: boolean,
    touch?: boolean,
  ) => void
  /**
   * Replaces fragment `fragmentId` in place (the new one may have another id). During streaming this is
   * called for every token: with `touch` false (the default) it changes one fragment row only.
   */
  replaceMessageFragment: (
    conversationId: DConversationId,
    messageId: DMessageId,
    fragmentId: DMessageFragmentId,
    newFragment: DMessageFragment,
    removePendingState?: boolean,
    touch?: boolean,
  ) => void
  deleteMessageFragment: (
    conversationId: DConversationId,
    messageId: DMessageId,
    fragmentId: DMessageFragmentId,
    removePendingState?: boolean,
    touch?: boolean,
  ) => void
  /** Replaces every message (aborting a running generation); an emptied history loses its automatic title. */
  historyReplace: (conversationId: DConversationId, messages: DMessage[]) => void
  /** Keeps the messages up to and including `messageId` (plus `offset` more). */
  historyTruncateToIncluded: (conversationId: DConversationId, messageId: DMessageId, offset?: number) => void
  updateMetadata: (
    conversationId: DConversationId,
    messageId: DMessageId,
    delta: Partial<DMessageMetadata>,
    touchUpdated?: boolean,
  ) => void
  setSystemPurposeId: (conversationId: DConversationId, personaId: string) => void
  setUserTitle: (conversationId: DConversationId, userTitle: string) => void
  setAutoTitle: (conversationId: DConversationId, autoTitle: string) => void
  setArchived: (conversationId: DConversationId, isArchived: boolean) => void
  /** An emoji, or `undefined` to remove it. */
  setUserSymbol: (conversationId: DConversationId, userSymbol: string | undefined) => void
  /** Transient: the abort controller of a running generation. */
  setAbortController: (conversationId: DConversationId, abortController: AbortController | null) => void
  /** Aborts the running generation, if any. */
  abortConversationTemp: (conversationId: DConversationId) => void
  isIncognito: (conversationId: DConversationId) => boolean
  /**
   * Loads a conversation's messages into the state, in a store hydrated with `hydrate: 'onDemand'` (at once
   * with a synchronous backend); a generation it left cut off is closed, as hydration closes them. Resolves
   * at once when they are loaded already, or in a store without `persistSQLite`. The actions that read or
   * change messages (append, edit, delete, fragments, truncate, branch) throw NOT_LOADED before it;
   * `historyReplace` and `importConversation` replace the stored messages without it.
   */
  loadMessages: (conversationId: DConversationId) => Promise<void>
}

/** State and actions of the chats store. */
export type ChatsStore = ChatsState & ChatsActions

/** Options of {@link createChatsState}. */
export interface ChatsStateOptions {
  /**
   * Called after `deleteConversations` with the ids it deleted: the hook for cascades, such as removing
   * them from chat folders (`foldersStore.getState().removeConversationsFromFolders(ids)`). Before the store
   * has hydrated, the stored conversations are not in its state yet: it is called with every id asked for.
   */
  onConversationsDeleted?: (conversationIds: readonly DConversationId[]) => void
  /** The clock, in milliseconds since the epoch. @default Date.now */
  now?: () => number
}

/** The store's name, in the database and (for the legacy path) in IndexedDB. */
export const CHATS_STORE_NAME = 'app-chats'
/** The state version: the app's `app-chats` is at 4 (multi-part messages). */
export const CHATS_STATE_VERSION = 4

/**
 * What is stored of the state, by the app's rules: incognito conversations never; empty ones only when
 * there is a single conversation. Returns the same array when nothing is left out. Transient fields
 * (`_abortController`, `pendingIncomplete`) are left out by the schema. A streamed token calls this on every
 * write: a list made by `replaceAt` from one seen before costs the conversations replaced, not a pass over all.
 */
export function partializeChats(state: ChatsState): PersistedChats {
  return { conversations: storedConversations(state.conversations) as DConversation[] }
}

/**
 * A generation cut off mid-stream (a closed tab, a crash) leaves a placeholder as the last fragment of its
 * message: as the app does on load, it becomes an error fragment. Conversations without one are returned
 * as they are.
 */
export function closeCutOffGenerations(conversations: DConversation[]): DConversation[] {
  let result: DConversation[] | undefined
  conversations.forEach((conversation, i) => {
    let messages: DMessage[] | undefined
    conversation.messages.forEach((message, j) => {
      const last = message.fragments[message.fragments.length - 1]
      if (last === undefined || last.ft !== 'void' || last.part.pt !== 'ph') return
      messages ??= conversation.messages.slice()
      messages[j] = {
        ...message,
        fragments: [
          ...message.fragments.slice(0, -1),
          { ft: 'content', fId: last.fId, part: { pt: 'error', error: cutOffPlaceholderError(last.part) } },
        ],
      }
    })
    if (messages === undefined) return
    result ??= conversations.slice()
    result[i] = { ...conversation, messages }
  })
  return result ?? conversations
}

/**
 * The app's merge: conversations made before hydration finished come first, then the stored ones (a
 * stored one with the id of a newer one is left out); an empty result gets one empty conversation.
 * Generations cut off mid-stream are closed (see {@link closeCutOffGenerations}).
 */
export function mergeChats<S extends ChatsState>(persisted: unknown, current: S): S {
  const stored = closeCutOffGenerations((persisted as Partial<PersistedChats> | undefined)?.conversations ?? [])
  const ids = new Set(current.conversations.map((c) => c.id))
  const conversations = [...current.conversations, ...stored.filter((c) => !ids.has(c.id))]
  if (conversations.length === 0) conversations.push(createDConversation())
  return { ...current, conversations }
}

/**
 * The chats store's `mergeRemote`: a commit of another tab (or of a query function), taken as it is. The
 * stored conversations come in their stored order and versions (unlike `mergeChats`, a generation that
 * streams in another tab is not closed); a conversation of this tab that is never stored (incognito, or
 * an empty one) stays, first; a running generation keeps its abort controller.
 */
export function mergeRemoteChats<S extends ChatsState>(persisted: unknown, current: S): S {
  const stored = (persisted as Partial<PersistedChats> | undefined)?.conversations ?? []
  if (stored === current.conversations) return current
  const here = new Map(current.conversations.map((c) => [c.id, c]))
  const ids = new Set(stored.map((c) => c.id))
  const unstored = current.conversations.filter(
    (c) => !ids.has(c.id) && (c._isIncognito === true || isEmptyConversation(c)),
  )
  const conversations = stored.map((c) => {
    const mine = here.get(c.id)
    return mine === undefined || mine === c || mine._abortController == null
      ? c
      : { ...c, _abortController: mine._abortController }
  })
  return { ...current, conversations: unstored.length === 0 ? conversations : [...unstored, ...conversations] }
}

/**
 * The chats store's state and actions, on their own: for `persistSQLite` (see `createChatsStore`) or
 * for Zustand's `persist` on the legacy path (with `chatsLegacyPersistOptions`). The list starts empty;
 * hydration (the merge) adds an empty conversation when nothing is stored.
 *
 * @example
 * ```ts
 * const useChatStore = create<ChatsStore>()(persist(createChatsState(), chatsLegacyPersistOptions))
 * ```
 */
export function createChatsState(options: ChatsStateOptions = {}): StateCreator<ChatsStore, [], [], ChatsStore> {
  const now = options.now ?? Date.now
  return (set, get, api) => {
    /** Sets what `change` makes of the state and returns what it computed (see `returningSet`). */
    const setReturning = returningSet<ChatsStore>(set)

    // A store without `persist` (a bare `createStore`) holds all there is from the start.
    const hasHydrated = (): boolean =>
      (api as { persist?: { hasHydrated?: () => boolean } }).persist?.hasHydrated?.() ?? true

    /** The conversation's messages; NOT_LOADED, changing nothing, while they are not loaded. */
    const messagesOf = (conversation: DConversation): DMessage[] => {
      if (isLoaded(conversation.messages)) return conversation.messages
      const path = `conversations[id=${JSON.stringify(conversation.id)}].messages`
      throw new ZustandSqliteError(
        'NOT_LOADED',
        `${path}: the messages of this conversation are not loaded; call loadMessages(${JSON.stringify(conversation.id)}) first`,
        { path },
      )
    }

    /** Messages that take the place of a conversation's: when its own are not loaded, they replace the stored ones. */
    const replacing = (conversation: DConversation | undefined, messages: DMessage[]): DMessage[] =>
      conversation === undefined || isLoaded(conversation.messages) ? messages : replaceStored(messages.slice())

    const editConversation = (
      conversationId: DConversationId,
      edit: (conversation: DConversation) => DConversation | undefined,
    ): void =>
      set((state) => {
        const index = indexOfConversation(state.conversations, conversationId)
        if (index < 0) return state
        const edited = edit(state.conversations[index] as DConversation)
        if (edited === undefined) return state
        return { conversations: replaceAt(state.conversations, index, edited) }
      })

    const editMessageIn = (
      conversationId: DConversationId,
      messageId: DMessageId,
      edit: (message: DMessage) => DMessage | undefined,
      touch: boolean,
    ): void =>
      editConversation(conversationId, (conversation) => {
        const loaded = messagesOf(conversation)
        const index = loaded.findIndex((m) => m.id === messageId)
        if (index < 0) return undefined
        const edited = edit(loaded[index] as DMessage)
        if (edited === undefined) return undefined
        const time = now()
        const messages = replaceAt(loaded, index, touch ? { ...edited, updated: time } : edited)
        return touch ? { ...conversation, messages, updated: time } : { ...conversation, messages }
      })

    const withoutPending = (message: DMessage, removePendingState: boolean): DMessage => {
      if (!removePendingState || message.pendingIncomplete === undefined) return message
      const { pendingIncomplete: _done, ...rest } = message
      return rest
    }

    const editFragments = (
      conversationId: DConversationId,
      messageId: DMessageId,
      edit: (fragments: DMessageFragment[]) => DMessageFragment[] | undefined,
      removePendingState: boolean,
      touch: boolean,
    ): void =>
      editMessageIn(
        conversationId,
        messageId,
        (message) => {
          const fragments = edit(message.fragments)
          return fragments === undefined ? undefined : withoutPending({ ...message, fragments }, removePendingState)
        },
        touch,
      )

    return {
      conversations: [],

      prependNewConversation: (personaId, isIncognito = false) => {
        const conversation = createDConversation(personaId, now())
        if (isIncognito) conversation._isIncognito = true
        set((state) => ({ conversations: [conversation, ...state.conversations] }))
        return conversation.id
      },

      importConversation: (conversation, preventClash) => {
        // Aborting changes no state: the generation of the conversation replaced (or clashed with) stops now.
        get()
          .conversations.find((c) => c.id === conversation.id)
          ?._abortController?.abort()
        let renamedId: DConversationId | undefined
        return setReturning((state) => {
          const existing = state.conversations.find((c) => c.id === conversation.id)
          const clash = preventClash && existing !== undefined
          const imported = clash
            ? { ...conversation, id: (renamedId ??= createChatId()) }
            : existing === undefined || isLoaded(existing.messages)
              ? conversation
              : { ...conversation, messages: replacing(existing, conversation.messages) }
          return [
            { conversations: [imported, ...state.conversations.filter((c) => c.id !== imported.id)] },
            imported.id,
          ]
        })
      },

      branchConversation: (conversationId, messageId) => {
        const id = createChatId()
        const time = now()
        return setReturning((state) => {
          const source = state.conversations.find((c) => c.id === conversationId)
          if (source === undefined) return [state, null]
          const history = messagesOf(source)
          const end = messageId === null ? history.length - 1 : history.findIndex((m) => m.id === messageId)
          if (end < 0 && messageId !== null) return [state, null]
          const messages = history.slice(0, end + 1).map((m) => withoutPending(m, true))
          // A branch of an incognito conversation stays incognito.
          const { _abortController: _running, ...rest } = source
          const branched: DConversation = { ...rest, id, messages, created: time, updated: time }
          return [{ conversations: [branched, ...state.conversations] }, id]
        })
      },

      deleteConversations: (conversationIds, newPersonaId) => {
        const ids = new Set(conversationIds)
        let fresh: DConversation | undefined
        const { deleted, nextId } = setReturning((state) => {
          const { conversations } = state
          const firstIndex = conversations.findIndex((c) => ids.has(c.id))
          const deleted = conversations.filter((c) => ids.has(c.id))
          const remaining = conversations.filter((c) => !ids.has(c.id))
          if (remaining.length === 0) remaining.push((fresh ??= createDConversation(newPersonaId, now())))
          const next = remaining[firstIndex >= 0 && firstIndex < remaining.length ? firstIndex : 0] as DConversation
          const changed = deleted.length > 0 || conversations.length === 0
          return [changed ? { conversations: remaining } : state, { deleted, nextId: next.id }]
        })
        for (const c of deleted) c._abortController?.abort()
        // Before hydration the stored conversations are not in the state yet: the deletion is made again on
        // them once they are, so the cascade is told every id asked for.
        const gone = hasHydrated() ? deleted.map((c) => c.id) : [...ids]
        if (gone.length > 0) options.onConversationsDeleted?.(gone)
        return nextId
      },

      appendMessage: (conversationId, message) =>
        editConversation(conversationId, (conversation) => ({
          ...conversation,
          messages: [...messagesOf(conversation), message],
          updated: now(),
        })),

      editMessage: (conversationId, messageId, update, removePendingState = false, touchUpdated = true) =>
        editMessageIn(
          conversationId,
          messageId,
          (message) =>
            withoutPending(
              { ...message, ...(typeof update === 'function' ? update(message) : update) },
              removePendingState,
            ),
          touchUpdated,
        ),

      deleteMessage: (conversationId, messageId) =>
        editConversation(conversationId, (conversation) => {
          const loaded = messagesOf(conversation)
          const messages = loaded.filter((m) => m.id !== messageId)
          return messages.length === loaded.length ? undefined : { ...conversation, messages, updated: now() }
        }),

      appendMessageFragment: (conversationId, messageId, fragment, removePendingState = false, touch = false) =>
        editFragments(conversationId, messageId, (fragments) => [...fragments, fragment], removePendingState, touch),

      replaceMessageFragment: (
        conversationId,
        messageId,
        fragmentId,
        newFragment,
        removePendingState = false,
        touch = false,
      ) =>
        editFragments(
          conversationId,
          messageId,
          (fragments) => {
            const index = fragments.findIndex((f) => f.fId === fragmentId)
            if (index < 0) return undefined
            const next = fragments.slice()
            next[index] = newFragment
            return next
          },
          removePendingState,
          touch,
        ),

      deleteMessageFragment: (conversationId, messageId, fragmentId, removePendingState = false, touch = false) =>
        editFragments(
          conversationId,
          messageId,
          (fragments) => {
            const next = fragments.filter((f) => f.fId !== fragmentId)
            return next.length === fragments.length ? undefined : next
          },
          removePendingState,
          touch,
        ),

      historyReplace: (conversationId, messages) =>
        editConversation(conversationId, (conversation) => {
          conversation._abortController?.abort()
          const { autoTitle, _abortController: _aborted, messageCount: _count, ...rest } = conversation
          return {
            ...rest,
            ...(messages.length > 0 && autoTitle !== undefined ? { autoTitle } : {}),
            messages: replacing(conversation, messages),
            updated: now(),
          }
        }),

      historyTruncateToIncluded: (conversationId, messageId, offset = 0) =>
        editConversation(conversationId, (conversation) => {
          const loaded = messagesOf(conversation)
          const index = loaded.findIndex((m) => m.id === messageId)
          if (index < 0) return undefined
          const messages = loaded.slice(0, index + offset + 1)
          return messages.length === loaded.length ? undefined : { ...conversation, messages, updated: now() }
        }),

      updateMetadata: (conversationId, messageId, delta, touchUpdated = true) =>
        editMessageIn(
          conversationId,
          messageId,
          (message) => ({ ...message, metadata: { ...message.metadata, ...delta } }),
          touchUpdated,
        ),

      setSystemPurposeId: (conversationId, systemPurposeId) =>
        editConversation(conversationId, (c) => ({ ...c, systemPurposeId })),
      setUserTitle: (conversationId, userTitle) => editConversation(conversationId, (c) => ({ ...c, userTitle })),
      setAutoTitle: (conversationId, autoTitle) => editConversation(conversationId, (c) => ({ ...c, autoTitle })),
      setArchived: (conversationId, isArchived) => editConversation(conversationId, (c) => ({ ...c, isArchived })),
      setUserSymbol: (conversationId, userSymbol) =>
        editConversation(conversationId, (c) => {
          const { userSymbol: _previous, ...rest } = c
          return userSymbol === undefined ? rest : { ...rest, userSymbol }
        }),

      setAbortController: (conversationId, abortController) =>
        editConversation(conversationId, (c) => ({ ...c, _abortController: abortController })),
      abortConversationTemp: (conversationId) =>
        editConversation(conversationId, (c) => {
          c._abortController?.abort()
          return { ...c, _abortController: null }
        }),
      isIncognito: (conversationId) => get().conversations.find((c) => c.id === conversationId)?._isIncognito === true,

      loadMessages: (conversationId) => {
        const persist = (api as { persist?: { loadOnDemand?: (field: string, key: string) => Promise<void> } }).persist
        if (persist?.loadOnDemand === undefined) return Promise.resolve()
        // Before hydration the conversation is not in the state yet: loadOnDemand waits for it.
        const conversation = get().conversations.find((c) => c.id === conversationId)
        if (hasHydrated() && (conversation === undefined || isLoaded(conversation.messages))) return Promise.resolve()
        const closeCutOff = (): void =>
          editConversation(conversationId, (c) => {
            if (!isLoaded(c.messages)) return undefined
            const closed = closeCutOffGenerations([c])[0] as DConversation
            return closed === c ? undefined : closed
          })
        const loading = persist.loadOnDemand('conversations', conversationId)
        // With a synchronous backend the messages are in the state already.
        closeCutOff()
        return loading.then(closeCutOff)
      },
    }
  }
}
