import { decodeText, encodeText, rules, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, QueryRow } from '@zustand-sqlite/core'
import { CHATS_STATE_VERSION, CHATS_STORE_NAME } from './state'
import { chatsDefinition } from './store'
import type { DConversationId, DMessage, DMessageFragment } from './types'

/** Options of the chats queries that list conversations. */
export interface ChatsQueryOptions {
  /** The chats store's name in the database. @default 'app-chats' */
  readonly name?: string
  /** Skip archived conversations. @default false */
  readonly excludeArchived?: boolean
}

/** Options of {@link loadConversationMessages}. */
export interface LoadConversationMessagesOptions {
  /** The chats store's name in the database. @default 'app-chats' */
  readonly name?: string
  /** Messages returned, 1 to 1000. @default all */
  readonly limit?: number
  /** Messages to skip, from the first. @default 0 */
  readonly offset?: number
}

/** One conversation in a list: its columns and how many messages it has, without the messages. */
export interface ConversationSummary {
  readonly id: DConversationId
  /** The user's title, else the automatic one, else `''`. */
  readonly title: string
  readonly userTitle: string | null
  readonly autoTitle: string | null
  readonly isArchived: boolean
  readonly userSymbol: string | null
  readonly systemPurposeId: string
  readonly created: number
  readonly updated: number | null
  readonly messageCount: number
}

/** Options of {@link listConversations}. */
export interface ListConversationsOptions extends ChatsQueryOptions {
  /** Conversations per page, 1 to 1000. @default 50 */
  readonly limit?: number
  /** Conversations to skip. @default 0 */
  readonly offset?: number
}

/** A page of conversations, and how many there are in all. */
export interface ConversationPage {
  readonly items: readonly ConversationSummary[]
  readonly total: number
}

/** Options of {@link searchConversations}. */
export interface SearchConversationsOptions extends ChatsQueryOptions {
  /** Most matches returned, 1 to 1000. @default 20 */
  readonly limit?: number
}

/** A conversation whose title or message text holds the searched text. */
export interface ConversationMatch {
  readonly conversationId: DConversationId
  readonly title: string
  /** The first message holding the text; `null` when only the title matched. */
  readonly messageId: string | null
  /** Up to 120 characters around the first occurrence in that message, or the title. */
  readonly snippet: string
}

const LIMIT = rules.integer({ min: 1, max: 1000 })
const OFFSET = rules.integer({ min: 0 })
const SEARCH_TEXT = rules.string({ minLength: 1, maxLength: 200 })

/**
 * Prepares the chats tables of the store `name` (creating them, empty, when missing) and tells whether it
 * holds conversations. Throws MIGRATION_FAILED when the store was written at a state version newer than
 * this package knows: its rows may not mean what these queries read.
 */
async function hasStoredChats(backend: Backend, name: string): Promise<boolean> {
  const { stateVersion } = await chatsDefinition.prepare(backend, { name })
  if (stateVersion !== null && stateVersion > CHATS_STATE_VERSION) {
    throw new ZustandSqliteError(
      'MIGRATION_FAILED',
      `${name} holds chats at state version ${stateVersion}, newer than this package knows (${CHATS_STATE_VERSION})`,
      { store: name },
    )
  }
  return stateVersion !== null
}

// Text columns hold strings in their stored form (see encodeText): every id bound is encoded, every text read
// decoded. JSON columns need neither: JSON text is always well-formed.
const text = (value: unknown): string | null => (typeof value === 'string' ? decodeText(value) : null)

function summary(row: QueryRow): ConversationSummary {
  const userTitle = text(row['user_title'])
  const autoTitle = text(row['auto_title'])
  return {
    id: decodeText(String(row['id'])),
    title: userTitle || autoTitle || '',
    userTitle,
    autoTitle,
    isArchived: row['is_archived'] === 1,
    userSymbol: text(row['user_symbol']),
    systemPurposeId: decodeText(String(row['system_purpose_id'])),
    created: Number(row['created']),
    updated: row['updated'] === null ? null : Number(row['updated']),
    messageCount: Number(row['message_count'] ?? 0),
  }
}

/**
 * A page of the stored conversations, most recently updated first, with their message counts and
 * without their messages (for `GET /api/chats?limit=&offset=`). Changes no stored data (on a database
 * without the chats tables, it creates them, empty, and the page is empty).
 *
 * @example
 * ```ts
 * const { items, total } = await listConversations(backend, { limit: 20, offset: 40 })
 * ```
 */
export async function listConversations(
  backend: Backend,
  options: ListConversationsOptions = {},
): Promise<ConversationPage> {
  const limit = LIMIT(options.limit ?? 50, 'limit')
  const offset = OFFSET(options.offset ?? 0, 'offset')
  if (!(await hasStoredChats(backend, options.name ?? CHATS_STORE_NAME))) return { items: [], total: 0 }
  const where = options.excludeArchived === true ? 'WHERE c.is_archived IS NOT 1' : ''
  const [count] = await backend.query(`SELECT count(*) AS n FROM conversations c ${where}`)
  const rows = await backend.query(
    `SELECT c.id, c.user_title, c.auto_title, c.is_archived, c.user_symbol, c.system_purpose_id, c.created, c.updated,
       (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
     FROM conversations c ${where}
     ORDER BY coalesce(c.updated, c.created) DESC, c.id
     LIMIT ? OFFSET ?`,
    [limit, offset],
  )
  return { items: rows.map(summary), total: Number(count?.['n'] ?? 0) }
}

const json = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : undefined)

/**
 * Builds an object from a row: typed columns by field (text decoded), `null` optional columns left out, `extra`
 * spread.
 */
function rowObject(
  row: QueryRow,
  fields: Readonly<Record<string, string>>,
  jsonFields: ReadonlySet<string>,
): Record<string, unknown> {
  const extra = json(row['extra'])
  const object: Record<string, unknown> = typeof extra === 'object' && extra !== null ? { ...extra } : {}
  for (const [field, columnName] of Object.entries(fields)) {
    const value = row[columnName]
    if (value === null || value === undefined) continue
    object[field] = jsonFields.has(field) ? json(value) : typeof value === 'string' ? decodeText(value) : value
  }
  return object
}

const MESSAGE_FIELDS = {
  id: 'id',
  role: 'role',
  purposeId: 'purpose_id',
  metadata: 'metadata',
  generator: 'generator',
  userFlags: 'user_flags',
  tokenCount: 'token_count',
  created: 'created',
}
const MESSAGE_JSON = new Set(['metadata', 'generator', 'userFlags'])
const FRAGMENT_FIELDS = {
  fId: 'fragment_id',
  ft: 'ft',
  part: 'part',
  originId: 'origin_id',
  vendorState: 'vendor_state',
  title: 'title',
  caption: 'caption',
  created: 'created',
  liveFileId: 'live_file_id',
}
const FRAGMENT_JSON = new Set(['part', 'vendorState'])

/**
 * One conversation's messages with their fragments, in order, read on demand without loading the
 * store (for `GET /api/chats/{id}/messages`). `limit` and `offset` page through them from the first.
 * Throws NOT_FOUND when the conversation is not stored. Changes no stored data.
 *
 * @example
 * ```ts
 * const messages = await loadConversationMessages(backend, conversationId)
 * ```
 */
export async function loadConversationMessages(
  backend: Backend,
  conversationId: DConversationId,
  options: LoadConversationMessagesOptions = {},
): Promise<DMessage[]> {
  const id = rules.string({ minLength: 1 })(conversationId, 'conversationId')
  const storedId = encodeText(id)
  const limit = options.limit === undefined ? -1 : LIMIT(options.limit, 'limit')
  const offset = OFFSET(options.offset ?? 0, 'offset')
  const exists = (await hasStoredChats(backend, options.name ?? CHATS_STORE_NAME))
    ? await backend.query('SELECT 1 AS found FROM conversations WHERE id = ?', [storedId])
    : []
  if (exists.length === 0)
    throw new ZustandSqliteError('NOT_FOUND', `conversation ${JSON.stringify(id)} is not stored`, { path: id })
  const messageRows = await backend.query(
    'SELECT * FROM messages WHERE conversation_id = ? ORDER BY sort_key LIMIT ? OFFSET ?',
    [storedId, limit, offset],
  )
  if (messageRows.length === 0) return []
  const fragmentRows = await backend.query(
    'SELECT * FROM fragments WHERE conversation_id = ? ORDER BY message_id, sort_key',
    [storedId],
  )
  const fragmentsByMessage = new Map<string, DMessageFragment[]>()
  // Keyed by the stored form of message ids, as both the fragment and the message rows hold them.
  for (const row of fragmentRows) {
    const messageId = String(row['message_id'])
    let list = fragmentsByMessage.get(messageId)
    if (list === undefined) fragmentsByMessage.set(messageId, (list = []))
    list.push(rowObject(row, FRAGMENT_FIELDS, FRAGMENT_JSON) as unknown as DMessageFragment)
  }
  return messageRows.map((row) => {
    const message = rowObject(row, MESSAGE_FIELDS, MESSAGE_JSON)
    message['updated'] = row['updated'] === null ? null : Number(row['updated'])
    message['fragments'] = fragmentsByMessage.get(String(row['id'])) ?? []
    return message as unknown as DMessage
  })
}

const escapeLike = (value: string): string => value.replace(/[\\%_]/g, (c) => `\\${c}`)

/**
 * The searched text as it appears inside a stored title (see encodeText): a term holding a lone surrogate, NUL
 * or U+FDD0 has each written as its escape, without the marker that starts a whole stored value.
 */
function inStoredText(needle: string): string {
  const stored = encodeText(needle)
  return stored === needle ? needle : stored.slice(1)
}

// eslint-disable-next-line no-control-regex -- NUL is what is looked for
const NUL = /\u0000/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * The pattern for message text, which SQLite reads out of the JSON parts: there it sees a lone surrogate as
 * U+FFFD and the text only up to a NUL. A term holding a NUL matches no message text (`null`), where LIKE would
 * cut the pattern at it and match wrongly; a lone surrogate in the term is bound as the U+FFFD SQLite compares.
 */
function messagePattern(needle: string): string | null {
  return NUL.test(needle) ? null : `%${escapeLike(needle.replace(LONE_SURROGATE, '\uFFFD'))}%`
}

/** The text of a fragment's part (`text`, or the `data.text` of a document), from its JSON as stored. */
function partText(part: unknown): string | null {
  const parsed = json(part) as { text?: unknown; data?: { text?: unknown } } | null | undefined
  const value = parsed?.text ?? parsed?.data?.text
  return typeof value === 'string' ? value : null
}

function snippetOf(source: string, needle: string): string {
  const at = source.toLowerCase().indexOf(needle.toLowerCase())
  if (at < 0) return source.slice(0, 120)
  const start = Math.max(0, at - 40)
  return `${start > 0 ? '…' : ''}${source.slice(start, start + 120)}${start + 120 < source.length ? '…' : ''}`
}

/**
 * Conversations whose title or message text contains `text` (case-insensitive for ASCII letters), most
 * recently updated first: one match per conversation, with the first message that holds it. Text is
 * that of text fragments and of document attachments. Titles are searched in their stored form, so a text holding
 * a lone surrogate or NUL finds the titles holding it; in message text SQLite reads a lone surrogate as U+FFFD
 * and stops at a NUL. Changes no stored data.
 *
 * @example
 * ```ts
 * const matches = await searchConversations(backend, 'sqlite')
 * ```
 */
export async function searchConversations(
  backend: Backend,
  searched: string,
  options: SearchConversationsOptions = {},
): Promise<ConversationMatch[]> {
  const needle = SEARCH_TEXT(searched, 'text')
  const limit = LIMIT(options.limit ?? 20, 'limit')
  if (!(await hasStoredChats(backend, options.name ?? CHATS_STORE_NAME))) return []
  const titlePattern = `%${escapeLike(inStoredText(needle))}%`
  const archived = options.excludeArchived === true ? 'AND c.is_archived IS NOT 1' : ''
  const rows = await backend.query(
    `WITH hits AS (
       SELECT f.conversation_id, f.message_id, f.part, m.sort_key AS message_key, f.sort_key AS fragment_key
       FROM fragments f JOIN messages m ON m.conversation_id = f.conversation_id AND m.id = f.message_id
       WHERE coalesce(json_extract(f.part, '$.text'), json_extract(f.part, '$.data.text')) LIKE ? ESCAPE '\\'
     ),
     first_hits AS (
       SELECT conversation_id, message_id, part,
         row_number() OVER (PARTITION BY conversation_id ORDER BY message_key, fragment_key) AS n
       FROM hits
     )
     SELECT c.id, c.user_title, c.auto_title, h.message_id, h.part
     FROM conversations c LEFT JOIN first_hits h ON h.conversation_id = c.id AND h.n = 1
     WHERE (h.message_id IS NOT NULL OR coalesce(nullif(c.user_title, ''), c.auto_title, '') LIKE ? ESCAPE '\\') ${archived}
     ORDER BY coalesce(c.updated, c.created) DESC, c.id
     LIMIT ?`,
    [messagePattern(needle), titlePattern, limit],
  )
  return rows.map((row) => {
    const title = text(row['user_title']) || text(row['auto_title']) || ''
    // The snippet is cut from the text as stored in JSON, not as SQLite read it for the match.
    const body = partText(row['part'])
    return {
      conversationId: decodeText(String(row['id'])),
      title,
      messageId: text(row['message_id']),
      snippet: snippetOf(body ?? title, needle),
    }
  })
}
