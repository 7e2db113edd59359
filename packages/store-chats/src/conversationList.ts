import { changesSince, isLoaded, replaceAt } from '@zustand-sqlite/core'
import type { DConversation, DConversationId } from './types'

// What a write and an action need to know of the conversation list, kept per list so that a list made from
// another by `replaceAt` (a streamed token, an edit) costs what changed, not a pass over every conversation.

/** What is stored of a conversation: nothing (incognito), only when it is the only one (empty), or all of it. */
const enum Kind {
  Kept,
  Empty,
  Incognito,
}

/** No messages and no title: the app does not keep such a conversation unless it is the only one. */
export function isEmptyConversation(conversation: DConversation): boolean {
  return (
    isLoaded(conversation.messages) &&
    conversation.messages.length === 0 &&
    !conversation.userTitle &&
    !conversation.autoTitle
  )
}

const kindOf = (c: DConversation): Kind =>
  c._isIncognito === true ? Kind.Incognito : isEmptyConversation(c) ? Kind.Empty : Kind.Kept

/** The stored part of one list: the conversations written, and where each of the list's is among them. */
interface Stored {
  readonly output: readonly DConversation[]
  /** Empty conversations are left out (there is more than one conversation not incognito). */
  readonly dropEmpty: boolean
  /** Per conversation of the list, its index in `output` (-1: left out); absent when `output` is the list. */
  readonly at: Int32Array | undefined
}

const storedOf = new WeakMap<readonly DConversation[], Stored>()

/** One pass over the list. */
function summarize(list: readonly DConversation[]): Stored {
  let incognito = 0
  let empty = 0
  for (const c of list) {
    const kind = kindOf(c)
    if (kind === Kind.Incognito) incognito++
    else if (kind === Kind.Empty) empty++
  }
  const dropEmpty = list.length - incognito > 1
  if (incognito === 0 && (!dropEmpty || empty === 0)) return { output: list, dropEmpty, at: undefined }
  const output: DConversation[] = []
  const at = new Int32Array(list.length)
  list.forEach((c, i) => {
    const kind = kindOf(c)
    const kept = kind === Kind.Kept || (kind === Kind.Empty && !dropEmpty)
    at[i] = kept ? output.push(c) - 1 : -1
  })
  return { output, dropEmpty, at }
}

/**
 * The stored part of a list made by `replaceAt` from `base`, whose stored part is `known`: the replaced
 * conversations kept their kind, so the same are left out, and the output changes at their places only.
 * `undefined` when one changed kind (a pass over the list then).
 */
function derive(
  known: Stored,
  base: readonly DConversation[],
  list: readonly DConversation[],
  indexes: readonly number[],
): Stored | undefined {
  for (const i of indexes) if (kindOf(base[i] as DConversation) !== kindOf(list[i] as DConversation)) return undefined
  if (known.at === undefined) return { output: list, dropEmpty: known.dropEmpty, at: undefined }
  let output = known.output
  for (const i of indexes) {
    const j = known.at[i] as number
    if (j >= 0 && output[j] !== list[i]) output = replaceAt(output, j, list[i] as DConversation)
  }
  return { output, dropEmpty: known.dropEmpty, at: known.at }
}

/**
 * The conversations stored of `list`, by the app's rules (see `partializeChats`): the list itself when none is
 * left out. Remembered per list; a list made by `replaceAt` from one already seen costs the conversations
 * replaced, and its output is made by `replaceAt` too, so that the write compares those only.
 */
export function storedConversations(list: readonly DConversation[]): readonly DConversation[] {
  let stored = storedOf.get(list)
  if (stored === undefined) {
    const changes = changesSince(list, (array) => storedOf.has(array))
    if (changes !== undefined)
      stored = derive(storedOf.get(changes.base) as Stored, changes.base, list, changes.indexes)
    stored ??= summarize(list)
    storedOf.set(list, stored)
  }
  return stored.output
}

/** The last conversation found in a list, by list: a stream finds the same one token after token. */
const lastFound = new WeakMap<readonly DConversation[], { readonly id: DConversationId; readonly index: number }>()

/**
 * The index of the first conversation of `id` in `list` (-1: none), as `findIndex` would answer it. In a list
 * made by `replaceAt` from one where the same id was found, it is the same place unless a conversation
 * replaced before it now has that id: no pass over the list.
 */
export function indexOfConversation(list: readonly DConversation[], id: DConversationId): number {
  const hit = lastFound.get(list)
  if (hit !== undefined && hit.id === id) return hit.index
  const changes = changesSince(list, (array) => lastFound.get(array)?.id === id)
  let index = -1
  if (changes !== undefined) {
    const before = (lastFound.get(changes.base) as { readonly index: number }).index
    const moved = changes.indexes.some((i) => i <= before && list[i]?.id === id && i !== before)
    if (!moved && (before < 0 ? !changes.indexes.some((i) => list[i]?.id === id) : list[before]?.id === id))
      index = before
    else index = list.findIndex((c) => c.id === id)
  } else index = list.findIndex((c) => c.id === id)
  lastFound.set(list, { id, index })
  return index
}
