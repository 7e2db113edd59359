// The changes of P1 (bench/targets/peers.ts) and the next chat states LIB sets for them, made with `replaceAt`:
// the library's diff then compares only the conversation and the message replaced, whatever N is. Every
// contender gets the same change descriptions, made outside the timing.
import { replaceAt } from '@zustand-sqlite/core'
import type { ChatState, Message } from './dataset'

/** Where a message sits: indexes into `conversations` and into that conversation's `messages`. */
export interface MessageAt {
  conversation: number
  message: number
}

/** One message's text replaced (and its `updated` stamp). */
export interface MessageEdit extends MessageAt {
  text: string
  updated: number
}

/** A new message at the end of a conversation. */
export interface MessageAppend {
  conversation: number
  message: Message
}

/** `state` with the message at `at` replaced by `patch` applied to it: the conversation replaced, then the message. */
export function replaceMessage(
  state: ChatState,
  at: MessageAt,
  patch: (message: Message) => Partial<Message>,
): ChatState {
  const conversation = state.conversations[at.conversation]
  const message = conversation?.messages[at.message]
  if (conversation === undefined || message === undefined)
    throw new RangeError(`no message at conversation ${at.conversation}, message ${at.message}`)
  const messages = replaceAt(conversation.messages, at.message, { ...message, ...patch(message) })
  return { conversations: replaceAt(state.conversations, at.conversation, { ...conversation, messages }) }
}

/** `state` with `edit` applied: the message's text and `updated` replaced. */
export const applyMessageEdit = (state: ChatState, edit: MessageEdit): ChatState =>
  replaceMessage(state, edit, () => ({ text: edit.text, updated: edit.updated }))

/** `state` with one more word at the end of the message at `at`, as a streamed answer grows. */
export const applyToken = (state: ChatState, at: MessageAt, word: string): ChatState =>
  replaceMessage(state, at, (message) => ({ text: `${message.text} ${word}` }))

/** `state` with `append.message` at the end of its conversation: the conversation replaced, its messages a new array. */
export function applyAppend(state: ChatState, append: MessageAppend): ChatState {
  const conversation = state.conversations[append.conversation]
  if (conversation === undefined) throw new RangeError(`no conversation at ${append.conversation}`)
  const messages = [...conversation.messages, append.message]
  return { conversations: replaceAt(state.conversations, append.conversation, { ...conversation, messages }) }
}
