import { isPlainObject, readPersistEnvelope, ZustandSqliteError } from '@zustand-sqlite/core'
import { credentialFields } from './credentials'
import { stableChatId } from './factories'
import { cutOffPlaceholderError } from './placeholders'
import { CHATS_STATE_VERSION, CHATS_STORE_NAME, mergeChats, partializeChats } from './state'
import type { ChatsState, ChatsStore, PersistedChats } from './state'
import type { DConversation, DMessage, DMessageFragment, DMessageRole } from './types'

/** One thing an import changed or left out, with where it was. */
export interface ChatsImportIssue {
  /** Where in the imported data, e.g. `conversations[3].messages[1].fragments[0]`. */
  readonly path: string
  readonly problem: string
  /** `dropped`: left out; `renamed`: given a new id; `fixed`: a missing or broken value replaced. */
  readonly action: 'dropped' | 'renamed' | 'fixed'
}

/** What an import did. */
export interface ChatsImportReport {
  readonly conversations: number
  readonly messages: number
  readonly fragments: number
  /** Messages converted from the text format of versions 2 and 3 to fragments. */
  readonly converted: number
  readonly issues: readonly ChatsImportIssue[]
}

type Item = Record<string, unknown>

const ROLES: readonly DMessageRole[] = ['user', 'assistant', 'system']
const TRANSIENT_MESSAGE_KEYS = ['pendingIncomplete', 'pendingPlaceholderText', 'sender', 'typing', 'avatar']

// The fields each item has in the app (see the schema): any other goes to `extra`, so it is checked for credentials.
const CONVERSATION_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'messages',
  'userTitle',
  'autoTitle',
  'isArchived',
  'userSymbol',
  'systemPurposeId',
  'created',
  'updated',
  'tokenCount',
])
const MESSAGE_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'role',
  'fragments',
  'purposeId',
  'metadata',
  'generator',
  'userFlags',
  'tokenCount',
  'created',
  'updated',
])
const FRAGMENT_FIELDS: ReadonlySet<string> = new Set([
  'ft',
  'fId',
  'part',
  'originId',
  'vendorState',
  'title',
  'caption',
  'created',
  'liveFileId',
])
const CREDENTIALS_DROPPED = 'model services or credentials (API keys), which are never imported'

/** Converts and cleans conversations as the app does on load, collecting what it changed. */
function createCleaner() {
  const issues: ChatsImportIssue[] = []
  let messageCount = 0
  let fragmentCount = 0
  let converted = 0

  /** An id for what the import adds or renames, derived from where it is: the same input, the same id. */
  const idAt = (seed: string, taken: ReadonlySet<string>, size = 21): string => {
    let id = stableChatId(seed, size)
    for (let n = 1; taken.has(id); n++) id = stableChatId(`${seed}#${n}`, size)
    return id
  }

  const note = (path: string, problem: string, action: ChatsImportIssue['action']): void => {
    issues.push({ path, problem, action })
  }

  /** Leaves out the fields of `item` that would take credentials into the database (see `credentialFields`). */
  const dropCredentials = (item: Item, known: ReadonlySet<string>, path: string): void => {
    for (const field of credentialFields(item, known)) {
      delete item[field]
      note(`${path}.${field}`, CREDENTIALS_DROPPED, 'dropped')
    }
  }

  const cleanConversations = (list: unknown, path: string, textMessages: boolean): DConversation[] => {
    if (!Array.isArray(list)) {
      note(path, 'not an array of conversations', 'dropped')
      return []
    }
    const ids = new Set<string>()
    const result: DConversation[] = []
    list.forEach((value, i) => {
      const conversation = cleanConversation(value, `${path}[${i}]`, textMessages)
      if (conversation === undefined) return
      if (ids.has(conversation.id)) {
        const id = idAt(`${conversation.id}|${path}[${i}]`, ids)
        note(`${path}[${i}]`, `a second conversation with id ${JSON.stringify(conversation.id)}`, 'renamed')
        conversation.id = id
      }
      ids.add(conversation.id)
      result.push(conversation)
    })
    return result
  }

  const cleanConversation = (value: unknown, path: string, textMessages: boolean): DConversation | undefined => {
    if (!isPlainObject(value) || typeof value['id'] !== 'string' || value['id'] === '') {
      note(path, 'not a conversation with a string id', 'dropped')
      return undefined
    }
    const { abortController: _v3, _abortController: _v4, _isIncognito: _incognito, ...rest } = value
    const conversation = { ...rest } as Item
    dropCredentials(conversation, CONVERSATION_FIELDS, path)
    if (typeof conversation['systemPurposeId'] !== 'string') {
      conversation['systemPurposeId'] = 'Generic'
      if (value['systemPurposeId'] !== undefined) note(`${path}.systemPurposeId`, 'not a string', 'fixed')
    }
    number(conversation, 'created', 0, path)
    nullableNumber(conversation, 'updated', path)
    number(conversation, 'tokenCount', 0, path)
    for (const key of ['userTitle', 'autoTitle', 'userSymbol'] as const) {
      if (conversation[key] !== undefined && typeof conversation[key] !== 'string') {
        delete conversation[key]
        note(`${path}.${key}`, 'not a string', 'dropped')
      }
    }
    if (conversation['isArchived'] !== undefined && typeof conversation['isArchived'] !== 'boolean') {
      conversation['isArchived'] = conversation['isArchived'] === true
      note(`${path}.isArchived`, 'not a boolean', 'fixed')
    }
    const messages = value['messages']
    if (!Array.isArray(messages)) note(`${path}.messages`, 'not an array', 'fixed')
    conversation['messages'] = cleanMessages(
      Array.isArray(messages) ? messages : [],
      `${path}.messages`,
      textMessages,
      conversation['created'] as number,
    )
    return conversation as unknown as DConversation
  }

  const cleanMessages = (
    list: readonly unknown[],
    path: string,
    textMessages: boolean,
    fallbackTime: number,
  ): DMessage[] => {
    const ids = new Set<string>()
    const result: DMessage[] = []
    list.forEach((value, i) => {
      const message = cleanMessage(value, `${path}[${i}]`, textMessages, fallbackTime)
      if (message === undefined) return
      if (ids.has(message.id)) {
        note(`${path}[${i}]`, `a second message with id ${JSON.stringify(message.id)}`, 'renamed')
        message.id = idAt(`${message.id}|${path}[${i}]`, ids)
      }
      ids.add(message.id)
      result.push(message)
      messageCount++
    })
    return result
  }

  const cleanMessage = (
    value: unknown,
    path: string,
    textMessages: boolean,
    fallbackTime: number,
  ): DMessage | undefined => {
    if (!isPlainObject(value)) {
      note(path, 'not a message', 'dropped')
      return undefined
    }
    const message: Item = { ...value }
    for (const key of TRANSIENT_MESSAGE_KEYS) delete message[key]
    if (typeof message['id'] !== 'string' || message['id'] === '') {
      message['id'] = stableChatId(`${path}|message`)
      note(`${path}.id`, 'missing', 'fixed')
    }
    if (!ROLES.includes(message['role'] as DMessageRole)) {
      const sender = value['sender']
      message['role'] = sender === 'You' ? 'user' : 'assistant'
      note(`${path}.role`, `${JSON.stringify(value['role'])} is not a role`, 'fixed')
    }
    // Versions 2 and 3: one `text` per message. Version 4 data with a stray `text` and no fragments too.
    if (typeof message['text'] === 'string' && (textMessages || !Array.isArray(message['fragments']))) {
      const fId = stableChatId(`${String(message['id'])}|${path}|text`, 8)
      message['fragments'] = [{ ft: 'content', fId, part: { pt: 'text', text: message['text'] } }]
      delete message['text']
      converted++
    }
    if (typeof message['originLLM'] === 'string') {
      if (message['generator'] === undefined) message['generator'] = { mgt: 'named', name: message['originLLM'] }
      delete message['originLLM']
    }
    const metadata = message['metadata']
    // As the app: a non-empty `inReplyToText` becomes the one reference, in place of any list there was.
    if (isPlainObject(metadata) && typeof metadata['inReplyToText'] === 'string' && metadata['inReplyToText'] !== '') {
      const { inReplyToText, ...restMetadata } = metadata
      const replaced = restMetadata['inReferenceTo']
      if (replaced !== undefined && !(Array.isArray(replaced) && replaced.length === 0))
        note(`${path}.metadata.inReferenceTo`, 'replaced by the reference of metadata.inReplyToText', 'dropped')
      message['metadata'] = {
        ...restMetadata,
        inReferenceTo: [{ mrt: 'dmsg', mText: inReplyToText, mRole: 'assistant' }],
      }
    }
    if (Array.isArray(message['userFlags'])) {
      message['userFlags'] = (message['userFlags'] as unknown[]).filter(
        (flag) => typeof flag === 'string' && flag !== 'notify.complete',
      )
    } else if (message['userFlags'] !== undefined) {
      delete message['userFlags']
      note(`${path}.userFlags`, 'not an array', 'dropped')
    }
    number(message, 'created', fallbackTime, path)
    nullableNumber(message, 'updated', path)
    number(message, 'tokenCount', 0, path)
    dropCredentials(message, MESSAGE_FIELDS, path)
    message['fragments'] = cleanFragments(message['fragments'], `${path}.fragments`)
    return message as unknown as DMessage
  }

  const cleanFragments = (list: unknown, path: string): DMessageFragment[] => {
    if (!Array.isArray(list)) {
      note(path, 'not an array', 'fixed')
      return []
    }
    const ids = new Set<string>()
    const result: DMessageFragment[] = []
    list.forEach((value, i) => {
      const at = `${path}[${i}]`
      if (!isPlainObject(value) || typeof value['ft'] !== 'string' || !isPlainObject(value['part'])) {
        note(at, 'a null or broken fragment', 'dropped')
        return
      }
      const fragment: Item = { ...value, part: { ...value['part'] } }
      const part = fragment['part'] as Item
      if (typeof part['pt'] !== 'string') {
        note(at, 'a fragment part without a type', 'dropped')
        return
      }
      if (part['pt'] === 'doc' && part['vdt'] === undefined && typeof part['type'] === 'string') {
        part['vdt'] = part['type']
        delete part['type']
      }
      if (typeof fragment['fId'] !== 'string' || fragment['fId'] === '' || ids.has(fragment['fId'])) {
        if (typeof fragment['fId'] === 'string' && fragment['fId'] !== '')
          note(at, `a second fragment with id ${JSON.stringify(fragment['fId'])}`, 'renamed')
        else note(`${at}.fId`, 'missing', 'fixed')
        fragment['fId'] = idAt(`${at}|fragment`, ids, 8)
      }
      ids.add(fragment['fId'] as string)
      dropCredentials(fragment, FRAGMENT_FIELDS, at)
      result.push(fragment as unknown as DMessageFragment)
      fragmentCount++
    })
    // A placeholder left at the end by a generation that never completed becomes an error, in the app's words.
    const last = result[result.length - 1]
    if (last !== undefined && last.ft === 'void' && last.part.pt === 'ph') {
      const error = cutOffPlaceholderError(last.part)
      result[result.length - 1] = { ft: 'content', fId: last.fId, part: { pt: 'error', error } }
      note(`${path}[${result.length - 1}]`, 'a placeholder of a generation that did not complete', 'fixed')
    }
    return result
  }

  const number = (object: Item, key: string, fallback: number, path: string): void => {
    const value = object[key]
    if (typeof value === 'number' && Number.isSafeInteger(value)) return
    const rounded = typeof value === 'number' ? Math.round(value) : NaN
    object[key] = Number.isSafeInteger(rounded) ? rounded : fallback
    if (value !== undefined || key !== 'tokenCount') note(`${path}.${key}`, 'not an integer', 'fixed')
  }

  const nullableNumber = (object: Item, key: string, path: string): void => {
    const value = object[key]
    if (value === null || (typeof value === 'number' && Number.isSafeInteger(value))) return
    const rounded = typeof value === 'number' ? Math.round(value) : NaN
    object[key] = Number.isSafeInteger(rounded) ? rounded : null
    if (value !== undefined) note(`${path}.${key}`, 'not an integer', 'fixed')
  }

  const report = (conversations: readonly DConversation[]): ChatsImportReport => {
    return {
      conversations: conversations.length,
      messages: messageCount,
      fragments: fragmentCount,
      converted,
      issues,
    }
  }
  /** Reports the sections of an export file that hold credentials: never read, so nothing to remove. */
  const skipCredentialSections = (file: Item, known: ReadonlySet<string>): void => {
    for (const field of credentialFields(file, known)) note(field, CREDENTIALS_DROPPED, 'dropped')
  }

  return { conversations: cleanConversations, skipCredentialSections, report }
}

function unsupported(version: number): never {
  throw new ZustandSqliteError(
    'MIGRATION_FAILED',
    `${CHATS_STORE_NAME} state version ${version} is not one this package can import (2 to ${CHATS_STATE_VERSION})`,
    { store: CHATS_STORE_NAME },
  )
}

/**
 * The migration of `app-chats`, called with the stored version (`persist`'s `migrate`, so only for a
 * version other than 4): versions 2 and 3 hold one `text` per message, which becomes one text fragment
 * (the app's 3 to 4 step), then the data is cleaned as `importLegacyChats` cleans it. Versions below 2
 * (a single chat) and above 4 throw MIGRATION_FAILED. Version 4 data is cleaned by the merge of the
 * legacy path (`chatsLegacyPersistOptions`).
 */
export function migrateChats(persisted: unknown, version: number): PersistedChats {
  if (!Number.isInteger(version) || version < 2 || version > CHATS_STATE_VERSION) unsupported(version)
  const cleaner = createCleaner()
  const state = isPlainObject(persisted) ? persisted : {}
  return { conversations: cleaner.conversations(state['conversations'] ?? [], 'conversations', version < 4) }
}

/**
 * Imports what the app's chats store left in IndexedDB (`keyval-store` / `keyval` / `app-chats`): the
 * `{ state, version }` envelope as its JSON string (a flash backup's copy, encoded twice, too) or
 * parsed, versions 2 to 4. Returns the conversations and a report, or `null` for `null`/`undefined`.
 *
 * The import converts text messages to fragments, and cleans what the app cleans on load: transient
 * fields, `originLLM` (to `generator`), `metadata.inReplyToText` (to `inReferenceTo`), doc `type` (to
 * `vdt`), the `notify.complete` flag, null or broken fragments, a trailing placeholder (to an error, in
 * the app's words). Messy data does not fail it: a broken conversation, message or fragment is left out,
 * a repeated id renamed, a missing value filled, and each is listed in `report.issues`. Unknown fields are
 * kept, except those that may hold credentials (`models`, `setup`, `oaiKey`, ...), which are left out.
 *
 * Throws INVALID_LEGACY_DATA for what is not an envelope and MIGRATION_FAILED for a version outside
 * 2 to 4. Nothing is written.
 *
 * @example
 * ```ts
 * const imported = importLegacyChats(await idbGet('app-chats'))
 * if (imported) for (const c of imported.state.conversations.toReversed()) chats.getState().importConversation(c, true)
 * ```
 */
export function importLegacyChats(value: unknown): { state: PersistedChats; report: ChatsImportReport } | null {
  if (value === null || value === undefined) return null
  const { state, version } = readPersistEnvelope(value, CHATS_STORE_NAME)
  if (version < 2 || version > CHATS_STATE_VERSION) unsupported(version)
  const cleaner = createCleaner()
  const conversations = cleaner.conversations(state['conversations'] ?? [], 'conversations', version < 4)
  return { state: { conversations }, report: cleaner.report(conversations) }
}

/** The sections of an "export all chats" file that are read. */
const EXPORT_ALL_FIELDS: ReadonlySet<string> = new Set(['conversations', 'folders'])

/** What `importChatsFromExport` returns. */
export interface ChatsExportImport {
  readonly conversations: DConversation[]
  /**
   * The file's `folders` section as it is; `undefined` when absent. To import the folders, pass the file
   * itself (or `{ folders }`) to `importChatFoldersFromExport`.
   */
  readonly folders: unknown
  readonly report: ChatsImportReport
}

/**
 * Imports one of the app's export files: "export all chats" (`{ conversations, models, folders? }`)
 * or a single chat (`{ id, messages, ... }`), as JSON text or parsed. Messages may be in the text
 * format of older exports or in fragments; they are converted and cleaned as `importLegacyChats` does.
 * API keys are never imported: the file's `models` section is not read, a single chat's is left out, and
 * both are listed in the report. Throws INVALID_LEGACY_DATA for anything else.
 *
 * @example
 * ```ts
 * const { conversations, folders, report } = importChatsFromExport(await file.text())
 * ```
 */
export function importChatsFromExport(value: unknown): ChatsExportImport {
  let parsed = value
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed)
    } catch (error) {
      throw new ZustandSqliteError('INVALID_LEGACY_DATA', 'the export file is not JSON; nothing was imported', {
        cause: error,
      })
    }
  }
  if (!isPlainObject(parsed)) throw new ZustandSqliteError('INVALID_LEGACY_DATA', 'the export file is not an object')
  const cleaner = createCleaner()
  let conversations: DConversation[]
  if (Array.isArray(parsed['conversations'])) {
    cleaner.skipCredentialSections(parsed, EXPORT_ALL_FIELDS)
    conversations = cleaner.conversations(parsed['conversations'], 'conversations', false)
  } else if (Array.isArray(parsed['messages'])) {
    conversations = cleaner.conversations([parsed], 'conversations', false)
  } else {
    throw new ZustandSqliteError(
      'INVALID_LEGACY_DATA',
      'the file is neither an "export all chats" file (conversations) nor a single chat (messages); nothing was imported',
    )
  }
  return { conversations, folders: parsed['folders'], report: cleaner.report(conversations) }
}

/**
 * The app's partialize for a JSON storage: {@link partializeChats}, and the transient fields
 * (`_abortController`, `pendingIncomplete`) left out of the conversations and messages that have them.
 */
export function partializeChatsForJson(state: ChatsState): PersistedChats {
  const { conversations } = partializeChats(state)
  return {
    conversations: conversations.map((conversation) => {
      const pending = conversation.messages.some((m) => m.pendingIncomplete !== undefined)
      if (!('_abortController' in conversation) && !pending) return conversation
      const { _abortController: _transient, ...rest } = conversation
      if (!pending) return rest
      return {
        ...rest,
        messages: conversation.messages.map((message) => {
          const { pendingIncomplete: _pending, ...kept } = message
          return kept
        }),
      }
    }),
  }
}

/**
 * Zustand `persist` options of the legacy path: the app's name, version 4, migration, partialize (with
 * transient fields left out, as JSON needs) and merge. Give them a `storage` (the app keeps `app-chats`
 * in IndexedDB).
 */
export const chatsLegacyPersistOptions = {
  name: CHATS_STORE_NAME,
  version: CHATS_STATE_VERSION,
  migrate: migrateChats,
  partialize: partializeChatsForJson,
  // The JSON blob may hold what the app cleaned on load (null fragments, pending flags, placeholders).
  merge: (persisted: unknown, current: ChatsStore): ChatsStore =>
    mergeChats(persisted === undefined ? undefined : migrateChats(persisted, CHATS_STATE_VERSION), current),
} as const
