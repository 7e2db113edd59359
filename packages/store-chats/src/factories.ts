import { randomId } from '@zustand-sqlite/core'
import type { DConversation, DMessage, DMessageFragment, DMessageRole } from './types'

/** A random id of URL-safe characters, as `nanoid(size)` makes them (from `crypto.getRandomValues`). */
export function createChatId(size = 21): string {
  return randomId(size)
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
