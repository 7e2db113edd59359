// Deterministic datasets: the same seed gives the same chat store and the same edits on every run,
// so contenders (and runs on different days) are compared on identical work.

export interface Message {
  id: string
  role: 'user' | 'assistant'
  text: string
  created: number
  updated: number
}

export interface Conversation {
  id: string
  title: string
  created: number
  updated: number
  messages: Message[]
}

export interface ChatState {
  conversations: Conversation[]
}

/** A message counted per conversation: N messages live in N / 10 conversations. */
export const MESSAGES_PER_CONVERSATION = 10
/** Bodies are about this long, like a short chat turn. */
export const BODY_LENGTH = 200

const EPOCH = 1_700_000_000_000

/** mulberry32: small, fast and good enough to pick items; not for anything secret. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const randomInt = (random: () => number, below: number): number => Math.floor(random() * below)

const WORDS = (
  'the a of to and in is it you that he was for on are with as his they be at one have this from or had by ' +
  'word but what some we can out other were all there when up use your how said an each she which do their ' +
  'time if will way about many then them write would like so these her long make thing see him two has look ' +
  'more day could go come did number sound no most people my over know water than call first who may down ' +
  'side been now find model prompt token answer context window stream reply draft summary code table query'
).split(' ')

/** Text of about `length` characters, made of words. */
export function makeText(random: () => number, length = BODY_LENGTH): string {
  let text = ''
  while (text.length < length) text += (text === '' ? '' : ' ') + (WORDS[randomInt(random, WORDS.length)] as string)
  return text.slice(0, length)
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

/**
 * A chat store with `messages` messages in `messages / perConversation` conversations (T5's and most targets':
 * 10 per conversation; F2 also measures 100, as longer chats have).
 */
export function buildChat(messages: number, seed: number, perConversation = MESSAGES_PER_CONVERSATION): ChatState {
  // Message ids pad their index to 3 digits, so that they sort in order.
  if (!Number.isInteger(perConversation) || perConversation < 1 || perConversation > 999)
    throw new Error(`buildChat: perConversation must be an integer from 1 to 999, not ${perConversation}`)
  const random = createRandom(seed)
  const count = Math.max(1, Math.round(messages / perConversation))
  const conversations: Conversation[] = []
  for (let c = 0; c < count; c++) {
    const created = EPOCH + c * 60_000
    const list: Message[] = []
    for (let m = 0; m < perConversation; m++) {
      const at = created + m * 1_000
      list.push({
        id: `m${pad(c, 6)}-${pad(m, 3)}`,
        role: m % 2 === 0 ? 'user' : 'assistant',
        text: makeText(random),
        created: at,
        updated: at,
      })
    }
    conversations.push({
      id: `c${pad(c, 6)}`,
      title: makeText(random, 40),
      created,
      updated: created + perConversation * 1_000,
      messages: list,
    })
  }
  return { conversations }
}

export const countMessages = (state: ChatState): number =>
  state.conversations.reduce((sum, c) => sum + c.messages.length, 0)

/** One message to rewrite. */
export interface MessageChange {
  conversation: number
  message: number
  text: string
}

/** The changes of one set: messages in distinct conversations, sorted by conversation index. */
export interface Edit {
  changes: MessageChange[]
  updated: number
}

let editClock = EPOCH + 365 * 24 * 3_600_000

/** `k` edited messages spread over `k` different conversations, new bodies made up front (outside any timing). */
export function makeEdit(random: () => number, conversations: number, k: number): Edit {
  const picked = new Set<number>()
  while (picked.size < Math.min(k, conversations)) picked.add(randomInt(random, conversations))
  const changes = [...picked]
    .sort((a, b) => a - b)
    .map((conversation) => ({
      conversation,
      message: randomInt(random, MESSAGES_PER_CONVERSATION),
      text: makeText(random),
    }))
  return { changes, updated: ++editClock }
}

/**
 * The immutable update an app does: map the conversations, replace the edited ones, map their
 * messages. One comparison per conversation (a cursor over the sorted changes), as hand-written code would.
 */
export function applyEdit(state: ChatState, edit: Edit): ChatState {
  let next = 0
  const conversations = state.conversations.map((conversation, index) => {
    const change = edit.changes[next]
    if (change === undefined || change.conversation !== index) return conversation
    next++
    return {
      ...conversation,
      messages: conversation.messages.map((message, position) =>
        position === change.message ? { ...message, text: change.text, updated: edit.updated } : message,
      ),
    }
  })
  return { conversations }
}

/** A metrics event as the metrics store appends it. */
export interface MetricEvent {
  metric_type: string
  metric_name: string
  value: number
  metadata?: Record<string, unknown>
  timestamp: number
}

const METRIC_TYPES = ['latency', 'tokens', 'cost', 'error'] as const
const METRIC_NAMES = ['chat.send', 'chat.stream', 'search.query', 'file.upload', 'ui.render'] as const

/** `count` events; about one in three carries metadata, as real telemetry does. */
export function makeMetricEvents(random: () => number, count: number, startTimestamp: number): MetricEvent[] {
  const events: MetricEvent[] = []
  for (let i = 0; i < count; i++) {
    const event: MetricEvent = {
      metric_type: METRIC_TYPES[randomInt(random, METRIC_TYPES.length)] as string,
      metric_name: METRIC_NAMES[randomInt(random, METRIC_NAMES.length)] as string,
      value: Math.round(random() * 100_000) / 100,
      timestamp: startTimestamp + i,
    }
    if (random() < 1 / 3)
      event.metadata = { model: 'gpt-4o-mini', ok: random() < 0.95, attempt: 1 + randomInt(random, 3) }
    events.push(event)
  }
  return events
}
