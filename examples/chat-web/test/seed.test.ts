import { readFileSync } from 'node:fs'
import ts from 'typescript'
import { describe, expect, it, vi } from 'vitest'
import type { Backend, LegacyImportContext } from '@zustand-sqlite/core'
import { chatsLegacy } from '@zustand-sqlite/store-chats'
import type { ChatsImportReport, DConversation, PersistedChats } from '@zustand-sqlite/store-chats'
import { deviceLegacy } from '@zustand-sqlite/store-device'
import { chatFoldersLegacy, FOLDERS_COLOR_PALETTE } from '@zustand-sqlite/store-folders'
import type { DanglingFolderLink, DFolder, SkippedFolderEntry } from '@zustand-sqlite/store-folders'
import { uxLabsLegacy } from '@zustand-sqlite/store-labs'
import { metricsLegacy } from '@zustand-sqlite/store-metrics'
import { uiPreferencesLegacy } from '@zustand-sqlite/store-ui'
import { workspaceLegacy } from '@zustand-sqlite/store-workspace'
import { databaseOn, engines } from '../../../test-utils/backends'
import {
  legacySeed,
  SEED_DEFAULTS,
  SEED_EPOCH,
  SEED_FOLDER_TITLES,
  SEED_MESS,
  SEED_PURPOSES,
  SEED_SPAN_MS,
  SEED_UNKNOWN_KEY,
} from '../src/seed'
import type { LegacySeed, LegacyV3Conversation, LegacyV3Message } from '../src/seed'

const LOCAL_STORAGE_KEYS = ['agi-client-workspace', 'app-device', 'app-folders', 'app-metrics', 'app-ui', 'app-ux-labs']
const DAY = 24 * 60 * 60 * 1000

const stateOf = <T>(text: string | undefined): T => (JSON.parse(text ?? 'null') as { state: T }).state
const conversationsOf = (seed: LegacySeed): LegacyV3Conversation[] =>
  stateOf<{ conversations: LegacyV3Conversation[] }>(seed.indexedDB['app-chats']).conversations
const foldersOf = (seed: LegacySeed): { folders: DFolder[]; enableFolders: boolean } =>
  stateOf(seed.localStorage['app-folders'])
const allMessages = (conversations: readonly LegacyV3Conversation[]): LegacyV3Message[] =>
  conversations.flatMap((c) => c.messages)

/** The context a migration gives an import: the database, and what the stores migrated before gave. */
const contextOf = (backend: Backend, chats?: PersistedChats): LegacyImportContext => ({
  backend,
  imported: (store) => (store === 'app-chats' ? chats : undefined),
})

/** Imports every seeded value as a migration does: the chats first, then the folders with their state. */
async function importAll(backend: Backend, seed: LegacySeed) {
  const chats = await chatsLegacy.import(seed.indexedDB['app-chats'], contextOf(backend))
  const context = contextOf(backend, chats?.state)
  const ls = seed.localStorage
  return {
    chats,
    folders: await chatFoldersLegacy.import(ls['app-folders'], context),
    ui: await uiPreferencesLegacy.import(ls['app-ui'], context),
    labs: await uxLabsLegacy.import(ls['app-ux-labs'], context),
    device: await deviceLegacy.import(ls['app-device'], context),
    metrics: await metricsLegacy.import(ls['app-metrics'], context),
    workspace: await workspaceLegacy.import(ls['agi-client-workspace'], context),
  }
}

// The default seed, made once: the app seeds exactly this on its first start.
const seed = legacySeed()
const conversations = conversationsOf(seed)
const messages = allMessages(conversations)
const nonEmpty = conversations.filter((c) => c.messages.length > 0)

describe('legacySeed', () => {
  const db = databaseOn(engines[0]!)

  it('writes each store under its big-AGI key, as the persist envelope of its legacy version', () => {
    expect(Object.keys(seed.indexedDB)).toEqual(['app-chats'])
    expect(Object.keys(seed.localStorage).sort()).toEqual(LOCAL_STORAGE_KEYS)
    const versions = Object.fromEntries(
      Object.entries({ ...seed.localStorage, ...seed.indexedDB }).map(([key, text]) => {
        const parsed = JSON.parse(text) as Record<string, unknown>
        expect(Object.keys(parsed), key).toEqual(['state', 'version'])
        expect(typeof parsed['state'], key).toBe('object')
        return [key, parsed['version']]
      }),
    )
    // Chats before fragments (3), the app's own versions, and an older one of the UI and of the labs.
    expect(versions).toEqual({
      'app-chats': 3,
      'app-ui': 1,
      'app-ux-labs': 1,
      'app-device': 1,
      'app-folders': 0,
      'app-metrics': 0,
      'agi-client-workspace': 0,
    })
  })

  it('seeds 300 conversations of version 3 text messages, 3 to 8 MB of JSON', () => {
    expect(SEED_DEFAULTS.conversations).toBe(300)
    expect(conversations).toHaveLength(300)
    const bytes = new TextEncoder().encode(seed.indexedDB['app-chats']).length
    expect(bytes).toBeGreaterThan(3_000_000)
    expect(bytes).toBeLessThan(8_000_000)
    for (const m of messages) {
      expect(m).toMatchObject({ text: expect.any(String), avatar: null, typing: expect.any(Boolean) })
      expect(m.sender).toBe(m.role === 'user' ? 'You' : 'Bot')
      expect(m).not.toHaveProperty('fragments')
    }
    // What the app's own partialize writes: nothing of a template left unfilled.
    expect(JSON.stringify(seed)).not.toMatch(/[⟨⟩]/)
  })

  it('seeds realistic chats: alternating turns, personas, titles, 18 months of dates, markdown answers', () => {
    for (const c of nonEmpty) {
      const roles = c.messages.map((m) => m.role)
      const turns = roles[0] === 'system' ? roles.slice(1) : roles
      expect(turns.length % 2, c.id).toBe(0)
      turns.forEach((role, i) => expect(role).toBe(i % 2 === 0 ? 'user' : 'assistant'))
      expect(c.messages.length).toBeGreaterThanOrEqual(2)
      expect(c.messages.length).toBeLessThanOrEqual(65)
      expect(c.messages.map((m) => m.created)).toEqual(c.messages.map((m) => m.created).sort((a, b) => a - b))
    }
    const lengths = nonEmpty.map((c) => c.messages.length)
    expect(lengths.filter((n) => n <= 31).length).toBeGreaterThan(nonEmpty.length * 0.9)
    // A few long ones.
    expect(lengths.filter((n) => n >= 50).length).toBeGreaterThanOrEqual(3)
    expect(nonEmpty.filter((c) => c.messages[0]?.role === 'system').length).toBeGreaterThan(50)

    expect(new Set(conversations.map((c) => c.systemPurposeId))).toEqual(new Set(SEED_PURPOSES))
    expect(new Set(SEED_PURPOSES)).toEqual(new Set(['Generic', 'Developer', 'Scientist', 'Catalyst', 'Executive']))
    const share = (count: number): number => count / conversations.length
    expect(share(conversations.filter((c) => c.userTitle !== undefined).length)).toBeGreaterThan(0.1)
    expect(share(conversations.filter((c) => c.autoTitle !== undefined).length)).toBeGreaterThan(0.3)
    expect(share(conversations.filter((c) => !c.userTitle && !c.autoTitle).length)).toBeGreaterThan(0.05)

    const created = conversations.map((c) => c.created)
    expect(Math.min(...created)).toBeGreaterThanOrEqual(SEED_EPOCH)
    expect(Math.max(...created)).toBeLessThan(SEED_EPOCH + SEED_SPAN_MS)
    expect(Math.max(...created) - Math.min(...created)).toBeGreaterThan(480 * DAY)
    // The drawer's order: newest first.
    expect(created).toEqual([...created].sort((a, b) => b - a))

    const answers = messages.filter((m) => m.role === 'assistant' && !m.typing).map((m) => m.text)
    const sized = answers.filter((text) => text.length >= 200 && text.length <= 5_000)
    // A few hundred characters to a few thousand: a rare short answer is shorter, none is a stub.
    expect(sized.length).toBeGreaterThan(answers.length * 0.95)
    expect(Math.min(...answers.map((text) => text.length))).toBeGreaterThan(100)
    expect(answers.filter((text) => text.length >= 2_000).length).toBeGreaterThan(answers.length * 0.1)
    expect(answers.filter((text) => /^```\w+\n[\s\S]+?\n```$/m.test(text)).length).toBeGreaterThan(answers.length * 0.3)
    expect(answers.filter((text) => /^(\d+\.|-) \S/m.test(text)).length).toBeGreaterThan(answers.length * 0.5)
    expect(messages.filter((m) => m.userFlags?.includes('starred')).length).toBeGreaterThan(10)
    expect(messages.filter((m) => m.role === 'assistant' && typeof m.originLLM === 'string').length).toBe(
      messages.filter((m) => m.role === 'assistant').length,
    )
  })

  it('is as messy as real stores: stale keys, a repeated id, an answer left typing, no tokenCount, empty chats', () => {
    const count = (test: (c: LegacyV3Conversation) => boolean): number => conversations.filter(test).length
    for (const n of Object.values(SEED_MESS)) expect(n).toBeGreaterThan(0)
    expect(count((c) => 'abortController' in c)).toBe(SEED_MESS.abortControllers)
    expect(count((c) => 'ephemerals' in c)).toBe(SEED_MESS.ephemerals)
    expect(count((c) => SEED_UNKNOWN_KEY in c)).toBe(SEED_MESS.unknownKeys)
    const ids = conversations.map((c) => c.id)
    expect(ids.length - new Set(ids).size).toBe(SEED_MESS.duplicateIds)
    expect(count((c) => c.messages.length === 0 && !c.userTitle && !c.autoTitle)).toBe(SEED_MESS.emptyConversations)
    expect(messages.filter((m) => m.typing).length).toBe(SEED_MESS.typingMessages)
    expect(messages.filter((m) => m.tokenCount === undefined).length).toBe(SEED_MESS.missingTokenCounts)
    // Ids as the app made them in 2023: UUIDs.
    expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toBe(
      true,
    )
  })

  it('imports into the chats store: all but the empty chats, the repeated id renamed, the mess cleaned', async () => {
    const imported = await chatsLegacy.import(seed.indexedDB['app-chats'], contextOf(await db.open()))
    const report = imported?.report as ChatsImportReport
    const state = imported!.state
    expect(report).toMatchObject({ conversations: 300, messages: messages.length, converted: messages.length })
    // The importer renames a repeated id (it drops nothing); the store leaves out chats without messages or title.
    const renamed = report.issues.filter((issue) => issue.action === 'renamed')
    expect(renamed).toHaveLength(SEED_MESS.duplicateIds)
    expect(renamed[0]?.problem).toMatch(/a second conversation with id/)
    expect(state.conversations).toHaveLength(300 - SEED_MESS.emptyConversations)
    expect(new Set(state.conversations.map((c) => c.id)).size).toBe(state.conversations.length)
    expect(imported!.cleaned).toBeGreaterThan(0)
    expect(imported!.cleaned).toBe(report.issues.length + SEED_MESS.emptyConversations)
    expect(chatsLegacy.count(state)).toEqual({
      conversations: 300 - SEED_MESS.emptyConversations,
      messages: messages.length,
      fragments: messages.length,
    })

    const byId = new Map(state.conversations.flatMap((c) => c.messages.map((m) => [m.id, m] as const)))
    for (const m of state.conversations.flatMap((c) => c.messages)) {
      for (const key of ['text', 'sender', 'avatar', 'typing', 'originLLM']) expect(m).not.toHaveProperty(key)
      expect(Number.isSafeInteger(m.tokenCount)).toBe(true)
    }
    for (const m of messages.filter((m) => m.tokenCount === undefined)) expect(byId.get(m.id)?.tokenCount).toBe(0)
    for (const m of messages.filter((m) => m.typing)) expect(byId.get(m.id)?.fragments[0]?.part.text).toBe(m.text)
    const kept = (key: string): DConversation[] => state.conversations.filter((c) => key in c)
    expect(kept('abortController')).toEqual([])
    // An unknown key is kept, as persist's shallow merge keeps it.
    expect(kept(SEED_UNKNOWN_KEY)).toHaveLength(SEED_MESS.unknownKeys)
    const answer = messages.find((m) => m.role === 'assistant')!
    expect(byId.get(answer.id)?.generator).toEqual({ mgt: 'named', name: answer.originLLM })
  })

  it('imports the folders after the chats: 5 to 7 folders with ~40% of the chats, the dangling link dropped', async () => {
    const backend = await db.open()
    const { folders, enableFolders } = foldersOf(seed)
    expect(enableFolders).toBe(true)
    expect(folders.length).toBeGreaterThanOrEqual(5)
    expect(folders.length).toBeLessThanOrEqual(7)
    expect(folders.map((f) => f.title)).toEqual(SEED_FOLDER_TITLES.slice(0, folders.length))
    expect(folders.every((f) => FOLDERS_COLOR_PALETTE.includes(f.color ?? ''))).toBe(true)
    expect(folders.filter((f) => f.isCollapsed === true)).toHaveLength(1)

    const chats = await chatsLegacy.import(seed.indexedDB['app-chats'], contextOf(backend))
    const imported = await chatFoldersLegacy.import(seed.localStorage['app-folders'], contextOf(backend, chats!.state))
    const report = imported!.report as { dangling: DanglingFolderLink[]; skipped: SkippedFolderEntry[] }
    const chatIds = new Set(chats!.state.conversations.map((c) => c.id))
    expect(report.skipped).toEqual([])
    expect(report.dangling).toHaveLength(SEED_MESS.danglingFolderLinks)
    expect(chatIds.has(report.dangling[0]!.conversationId)).toBe(false)
    expect(imported!.cleaned).toBe(SEED_MESS.danglingFolderLinks)
    const links = imported!.state.folders.flatMap((f) => f.conversationIds)
    expect(links.length).toBe(folders.flatMap((f) => f.conversationIds).length - SEED_MESS.danglingFolderLinks)
    expect(links.every((id) => chatIds.has(id))).toBe(true)
    // One folder per conversation, as the app's UI files them.
    expect(new Set(links).size).toBe(links.length)
    expect(links.length / chatIds.size).toBeGreaterThan(0.35)
    expect(links.length / chatIds.size).toBeLessThan(0.45)
  })

  it('imports the other stores as their importers take them: stale keys kept, nothing refused', async () => {
    const backend = await db.open()
    const { ui, labs, device, metrics, workspace } = await importAll(backend, seed)

    // Version 1 runs the app's migrations (centerMode becomes 'full'); renderMarkdown becomes disableMarkdown.
    expect(ui?.state).toMatchObject({ centerMode: 'full', disableMarkdown: false, zenMode: 'clean' })
    expect(labs?.state.flags['labsShowCost']).toMatchObject({ enabled: true })
    const localDeviceId = stateOf<{ localDeviceId: string }>(seed.localStorage['app-device']).localDeviceId
    expect(localDeviceId).toMatch(/^[A-Za-z0-9_-]{10}$/)
    expect(device).toMatchObject({ state: { localDeviceId }, cleaned: 0 })

    expect(metrics?.cleaned).toBe(0)
    const services = metrics!.state.serviceMetrics
    expect(Object.keys(services).length).toBeGreaterThanOrEqual(2)
    expect(Object.keys(services).length).toBeLessThanOrEqual(3)
    const usages = Object.values(services).reduce((sum, s) => sum + s.usageCount, 0)
    expect(usages).toBe(messages.filter((m) => m.role === 'assistant').length)
    expect(Object.values(services).every((s) => s.totalCosts > 0 && s.lastUsageDate > s.firstUsageDate)).toBe(true)

    const raw = stateOf<{ liveFilesByWorkspace: Record<string, string[]> }>(seed.localStorage['agi-client-workspace'])
    const workspaces = Object.keys(raw.liveFilesByWorkspace)
    expect(workspaces.length).toBeGreaterThanOrEqual(3)
    expect(workspaces.every((id) => nonEmpty.some((c) => c.id === id))).toBe(true)
    // Live files do not survive a reload: a fresh database holds none, so every assignment is dropped as the app drops it.
    const dangling = (workspace?.report as { dangling: unknown[] }).dangling
    expect(dangling).toHaveLength(Object.values(raw.liveFilesByWorkspace).flat().length)
  })

  it('gives the same strings for the same seed, whatever the clock, and other data for another seed', () => {
    const first = legacySeed({ conversations: 40, seed: 7 })
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_900_000_000_000)
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.123)
    try {
      expect(legacySeed({ conversations: 40, seed: 7 })).toEqual(first)
    } finally {
      now.mockRestore()
      random.mockRestore()
    }
    expect(legacySeed({ seed: SEED_DEFAULTS.seed, conversations: 300 })).toEqual(seed)

    const other = legacySeed({ conversations: 40, seed: 8 })
    expect(other.indexedDB['app-chats']).not.toBe(first.indexedDB['app-chats'])
    for (const key of ['app-device', 'app-folders', 'app-metrics', 'agi-client-workspace'])
      expect(other.localStorage[key], key).not.toBe(first.localStorage[key])
    const ids = (s: LegacySeed): string[] => conversationsOf(s).map((c) => c.id)
    expect(ids(other).filter((id) => ids(first).includes(id))).toEqual([])
    expect(conversationsOf(other)).toHaveLength(40)
  })

  it('seeds small stores that still import, and refuses a count or seed that is not an integer', async () => {
    const backend = await db.open()
    for (const count of [0, 1, 5, 21]) {
      const small = legacySeed({ conversations: count, seed: 3 })
      expect(conversationsOf(small)).toHaveLength(count)
      const imported = await importAll(backend, small)
      for (const [store, result] of Object.entries(imported)) expect(result, `${store} of ${count}`).not.toBeNull()
    }
    // From 21 conversations on, all of the mess fits.
    const messy = conversationsOf(legacySeed({ conversations: 21, seed: 3 }))
    expect(allMessages(messy).filter((m) => m.typing)).toHaveLength(SEED_MESS.typingMessages)
    expect(messy.filter((c) => SEED_UNKNOWN_KEY in c)).toHaveLength(SEED_MESS.unknownKeys)

    for (const conversations of [-1, 1.5, Number.NaN]) expect(() => legacySeed({ conversations })).toThrow(RangeError)
    expect(() => legacySeed({ seed: 0.5 })).toThrow(RangeError)
  })

  it('runs in a browser: imports no Node module, and calls neither the clock nor Math.random', () => {
    const source = readFileSync(new URL('../src/seed.ts', import.meta.url), 'utf8')
    const file = ts.createSourceFile('seed.ts', source, ts.ScriptTarget.ES2022, true)
    const imports = file.statements.filter(ts.isImportDeclaration)
    expect(imports.length).toBeGreaterThan(0)
    for (const declaration of imports)
      expect(declaration.moduleSpecifier.getText(), declaration.getText()).toMatch(/^'@zustand-sqlite\/store-/)
    const calls: string[] = []
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) calls.push(node.expression.getText())
      node.forEachChild(visit)
    }
    visit(file)
    expect(calls.filter((call) => /^(Date\.now|Math\.random|require|import)$/.test(call))).toEqual([])
    expect(source).not.toMatch(/new Date\(\)/)
  })
})
