import { createDMessageTextContent, createTextContentFragment } from '@zustand-sqlite/store-chats'
import type { ChatsStore } from '@zustand-sqlite/store-chats'
import type { StoreApi } from 'zustand/vanilla'

/** Answers the simulated assistant streams, picked by the prompt; there is no model and no network. */
const answers = [
  (topic: string) =>
    `Here is how I would approach ${topic}:\n\n1. Write down what must never be lost, and what can be rebuilt.\n2. Store each record on its own row, so that one change writes one row.\n3. Commit in one transaction, and only then tell the user it is saved.\n\n\`\`\`ts\nawait store.persist.flush() // durable once it resolves\n\`\`\`\n\nThat way a reload right after an answer keeps every token of it.`,
  (topic: string) =>
    `Good question. For ${topic} the short answer is: measure first. A change that rewrites a whole JSON value costs time in proportion to everything stored, while a change that writes one row costs about the same at any size.\n\n- Small state: either is fine.\n- Thousands of conversations: the row-level write wins by orders of magnitude.\n\nWould you like a benchmark you can run on your own machine?`,
  (topic: string) =>
    `Let me break ${topic} down step by step.\n\nFirst, the data: conversations, messages and their fragments each get a table, with keys that say where they belong. Second, the reads: the conversation list needs titles and counts, not every message. Third, the writes: a streamed token changes one fragment, so only that row is written.\n\n\`\`\`sql\nSELECT id, title, message_count FROM conversations ORDER BY updated DESC LIMIT 50;\n\`\`\``,
]

/** How the stream behaves: tokens of one to three words every `intervalMs`. */
export interface StreamOptions {
  readonly intervalMs?: number
}

/** A reply that streams into a conversation, token by token, as the app's model calls do. */
export interface Stream {
  readonly messageId: string
  /** Resolves when the last token is in the store (and the message no longer pending). */
  readonly done: Promise<void>
  stop(): void
}

function topicOf(prompt: string): string {
  const line = prompt.split('\n')[0]?.trim() ?? ''
  return `“${line.length > 60 ? `${line.slice(0, 57)}…` : line}”`
}

/** Starts a simulated assistant reply to `prompt` in `conversationId`, written token by token into the store. */
export function streamReply(
  chats: StoreApi<ChatsStore>,
  conversationId: string,
  prompt: string,
  options: StreamOptions = {},
): Stream {
  const actions = chats.getState()
  const pick = answers[[...prompt].reduce((sum, c) => sum + c.charCodeAt(0), 0) % answers.length] ?? answers[0]!
  const full = pick(topicOf(prompt))
  const tokens = full.split(/(?<=\s)/)
  const message = { ...createDMessageTextContent('assistant', ''), pendingIncomplete: true, purposeId: 'Generic' }
  const fragmentId = message.fragments[0]!.fId
  actions.appendMessage(conversationId, message)

  let index = 0
  let text = ''
  let timer: ReturnType<typeof setInterval> | undefined
  let finish: () => void = () => undefined
  const done = new Promise<void>((resolve) => (finish = resolve))
  const end = () => {
    if (timer !== undefined) clearInterval(timer)
    timer = undefined
    chats.getState().editMessage(conversationId, message.id, { tokenCount: Math.ceil(text.length / 4) }, true)
    finish()
  }
  timer = setInterval(() => {
    const take = 1 + (index % 3)
    text += tokens.slice(index, index + take).join('')
    index += take
    chats
      .getState()
      .replaceMessageFragment(
        conversationId,
        message.id,
        fragmentId,
        { ...createTextContentFragment(text), fId: fragmentId },
        false,
        false,
      )
    if (index >= tokens.length) end()
  }, options.intervalMs ?? 30)
  return { messageId: message.id, done, stop: end }
}
