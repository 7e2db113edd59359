import { randomId } from '@zustand-sqlite/core'
import type { DConversation, DMessage, DMessageFragment, DMessageRole } from './types'

/** A random id of URL-safe characters, as `nanoid(size)` makes them (from `crypto.getRandomValues`). */
export function createChatId(size = 21): string {
  return randomId(size)
}

/** nanoid's URL-safe alphabet. */
const ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict'

/**
 * An id of the same characters as {@link createChatId}, derived from `seed`: the same seed gives the same
 * id. The importer names what it adds this way, so that importing the same legacy value twice (a migration
 * resumed after a reload) gives the same state.
 */
export function stableChatId(seed: string, size = 21): string {
  let id = ''
  for (let round = 0; id.length < size; round++) {
    // FNV-1a over the seed's UTF-16 units, one pass per 5 characters, then murmur3's finaliser.
    let hash = 0x811c9dc5 ^ Math.imul(round, 0x9e3779b9)
    for (let i = 0; i < seed.length; i++) hash = Math.imul(hash ^ seed.charCodeAt(i), 0x01000193)
    hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b)
    hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35)
    hash ^= hash >>> 16
    for (let j = 0; j < 5 && id.length < size; j++, hash >>>= 6) id += ALPHABET[hash & 63]
  }
  return id
}

/** A new, empty conversation. */
export function createDConversation(systemPurposeId = 'Generic', now: number = Date.now()): DConversation {
  return {
    id: createChatId(),
    messages: [],
    systemPurposeId,
    created: now,
    updated: now,
    tokenCount: 0,
  }
}

/** A text content fragment. */
export function createTextContentFragment(text: string): DMessageFragment {
  return { ft: 'content', fId: createChatId(8), part: { pt: 'text', text } }
}

/** An error content fragment. */
export function createErrorContentFragment(error: string): DMessageFragment {
  return { ft: 'content', fId: createChatId(8), part: { pt: 'error', error } }
}

/** A new message holding one text fragment. */
export function createDMessageTextContent(role: DMessageRole, text: string, now: number = Date.now()): DMessage {
  return {
    id: createChatId(),
    role,
    fragments: [createTextContentFragment(text)],
    tokenCount: 0,
    created: now,
    updated: null,
  }
}
