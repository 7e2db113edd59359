// F2's first screen: the conversation list as a chats app shows it (title, message count, newest first),
// made the same way from every store, and the comparisons its child processes check their results with.
// It imports no package, so that a child process loads only its own contender's modules.
import type { Conversation, Message } from './dataset'

/** One row of the conversation list. */
export interface ConversationRow {
  id: string
  title: string
  /** Messages in the conversation: those in the state, or the stored count while they are not loaded. */
  count: number
  updated: number
}

/** A conversation as a store hydrated on demand holds it: `messageCount` while its messages are not loaded. */
export type ListedConversation = Conversation & { messageCount?: number }

/** Whether a conversation's messages are in the state: `isLoaded` of the library, or always for JSON. */
export type LoadedTest = (messages: readonly Message[]) => boolean

/**
 * The list of every conversation, newest first by `updated` (then by id, so that the order is total). A
 * conversation whose messages are not loaded and that has no count gets NaN, which no verification accepts.
 */
export function conversationList(
  conversations: readonly ListedConversation[],
  isLoaded: LoadedTest,
): ConversationRow[] {
  return conversations
    .map((c) => ({
      id: c.id,
      title: c.title,
      count: isLoaded(c.messages) ? c.messages.length : (c.messageCount ?? Number.NaN),
      updated: c.updated,
    }))
    .sort((a, b) => b.updated - a.updated || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

const ROW_FIELDS = ['id', 'title', 'count', 'updated'] as const
const MESSAGE_FIELDS = ['id', 'role', 'text', 'created', 'updated'] as const

/** Where two lists of records differ in `fields` (in order), described; undefined when they do not. */
function firstDifference<T, K extends keyof T>(
  what: string,
  actual: readonly T[],
  expected: readonly T[],
  fields: readonly K[],
): string | undefined {
  if (actual.length !== expected.length) return `${what}: ${actual.length} items, expected ${expected.length}`
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as T
    const e = expected[i] as T
    const field = fields.find((f) => !Object.is(a[f], e[f]))
    if (field !== undefined)
      return `${what}: item ${i}, ${String(field)} is ${JSON.stringify(a[field])}, expected ${JSON.stringify(e[field])}`
  }
  return undefined
}

/** Where `actual` differs from `expected` (ids, titles, counts, times, order); undefined when it does not. */
export const listDifference = (
  actual: readonly ConversationRow[],
  expected: readonly ConversationRow[],
): string | undefined => firstDifference('conversation list', actual, expected, ROW_FIELDS)

/** Where the messages of a conversation differ from the dataset's, field by field; undefined when they do not. */
export const messagesDifference = (actual: readonly Message[], expected: readonly Message[]): string | undefined =>
  firstDifference('messages', actual, expected, MESSAGE_FIELDS)

/** The exit code of a child whose results differ from the dataset's: the bench stops, it does not skip the way. */
export const VERIFICATION_FAILED = 3

/** What a child checks its results against, written by the bench from the dataset it stored. */
export interface FirstScreenExpected {
  conversations: number
  messages: number
  list: ConversationRow[]
  /** The conversation the list shows first, which the first-screen way opens, and its messages. */
  newest: { id: string; messages: Message[] }
}
