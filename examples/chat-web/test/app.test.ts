import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { BrowserContext, Page } from 'playwright-core'
import { build, preview } from 'vite'
import type { PreviewServer } from 'vite'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { chromiumLaunchOptions } from '../../../test-utils/browser.js'

// The built app (vite build, as `npm run example:web` serves it), in the system's Chromium, one profile for the
// whole story: a first start on IndexedDB, the rollout, the migration, a streamed reply and a reload, two tabs,
// and the rollback. The steps build on each other, in order.

const appRoot = fileURLToPath(new URL('..', import.meta.url))
const screenshots = join(appRoot, 'test/screenshots')

let outDir: string
let profile: string
let server: PreviewServer
let context: BrowserContext
let origin: string
const pageErrors: string[] = []
/** Pages a step opened: closed after it, so that a failed step leaves no tab holding the database. */
const pages: Page[] = []
/** What the app showed before the migration, and on SQLite before the rollback. */
let beforeMigration: unknown
let beforeRollback: unknown
/** Figures for the closing note and the README: the app's bundle and the migration of the seeded data. */
const figures: Record<string, number> = {}

/** The app's stores, in the order the storage panel lists them. */
const legacyNames = [
  'app-ui',
  'app-ux-labs',
  'app-device',
  'app-chats',
  'app-folders',
  'app-metrics',
  'agi-client-workspace',
]

/** The app's snapshot of what it shows (its stores as the components render them). */
const snapshot = (page: Page): Promise<unknown> => page.evaluate(() => window.chatWeb!.snapshot())

async function open(): Promise<Page> {
  const page = await context.newPage()
  pages.push(page)
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console.error: ${message.text()}`)
  })
  await page.goto(origin)
  await started(page)
  return page
}

/** Waits for the app to have started (the badge of its storage is there) and says which storage it runs on. */
async function started(page: Page): Promise<string> {
  const badge = page.getByTestId('storage-badge')
  await badge.waitFor({ timeout: 120_000 })
  return (await badge.getAttribute('data-storage')) ?? ''
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`) })
}

/** Opens the storage panel (once). */
async function storagePanel(page: Page): Promise<void> {
  if (await page.getByRole('complementary', { name: 'Storage' }).isVisible()) return
  await page.getByRole('button', { name: 'Storage', exact: true }).click()
}

/** Sends a message in the open chat and waits until the assistant's streamed reply is complete. */
async function sendAndWait(page: Page, text: string): Promise<string> {
  await page.getByLabel('Message').fill(text)
  await page.getByRole('button', { name: 'Send' }).click()
  const messages = page.getByTestId('messages')
  await messages.locator('[data-pending="true"]').waitFor({ state: 'attached' })
  await messages.locator('[data-pending="true"]').waitFor({ state: 'detached', timeout: 60_000 })
  return (await messages.locator('article.message.assistant').last().locator('.body').innerText()).trim()
}

/** The path of the first difference between two snapshots and the two values there, `undefined` when equal. */
function difference(actual: unknown, expected: unknown, path = '$'): string | undefined {
  if (Object.is(actual, expected)) return undefined
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null)
    return `${path}: ${JSON.stringify(actual)?.slice(0, 200)} instead of ${JSON.stringify(expected)?.slice(0, 200)}`
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)])
  for (const key of keys) {
    const found = difference(
      (actual as Record<string, unknown>)[key],
      (expected as Record<string, unknown>)[key],
      `${path}.${key}`,
    )
    if (found !== undefined) return found
  }
  return undefined
}

function sizeOf(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    total += entry.isDirectory() ? sizeOf(join(dir, entry.name)) : statSync(join(dir, entry.name)).size
  return total
}

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'zs-chat-web-'))
  profile = mkdtempSync(join(tmpdir(), 'zs-chat-web-profile-'))
  mkdirSync(screenshots, { recursive: true })
  await build({ root: appRoot, mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } })
  figures['bundleBytes'] = sizeOf(outDir)
  server = await preview({
    root: appRoot,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false },
  })
  const url = server.resolvedUrls?.local[0]
  if (url === undefined) throw new Error('the preview server has no local URL')
  origin = url
  context = await chromium.launchPersistentContext(profile, {
    ...chromiumLaunchOptions(),
    viewport: { width: 1440, height: 900 },
  })
}, 300_000)

afterEach(async () => {
  for (const page of pages.splice(0)) if (!page.isClosed()) await page.close()
})

afterAll(async () => {
  await context?.close()
  await server?.close()
  rmSync(outDir, { recursive: true, force: true })
  rmSync(profile, { recursive: true, force: true })
  console.log(`chat-web figures: ${JSON.stringify(figures)}`)
  if (pageErrors.length > 0) console.log(`chat-web page errors:\n${pageErrors.join('\n')}`)
})

describe('the chat app in Chromium, from IndexedDB to SQLite and back', () => {
  it('starts a fresh profile on IndexedDB and localStorage, with the seeded legacy data shown', async () => {
    const page = await open()
    expect(await started(page)).toBe('legacy')
    const shown = (await snapshot(page)) as { conversations: { title: string }[]; folders: { title: string }[] }
    expect(shown.conversations.length).toBeGreaterThan(250)
    // The drawer lists every kept conversation, in a folder or not, and the folders by name.
    const rows = await page.locator('nav[aria-label="Conversations"] [data-chat-id]').count()
    const collapsed = (await snapshot(page)) as { folders: { collapsed: boolean; conversations: string[] }[] }
    const hidden = collapsed.folders.filter((f) => f.collapsed).reduce((n, f) => n + f.conversations.length, 0)
    expect(rows).toBe(shown.conversations.length - hidden)
    for (const folder of shown.folders)
      await expect(page.locator('.folder-title', { hasText: folder.title }).first().isVisible()).resolves.toBe(true)
    await storagePanel(page)
    const storages = await page
      .locator('[data-testid="store-storages"] tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-storage')))
    expect(storages.length).toBe(7)
    expect(new Set(storages)).toEqual(new Set(['legacy']))
    // A reply streamed on IndexedDB, each write timed.
    await sendAndWait(page, 'A message written on IndexedDB')
    // Files live in the SQLite workspace only: on the legacy storage, attaching one waits for the move.
    await expect(page.getByRole('button', { name: 'Attach file' }).isDisabled()).resolves.toBe(true)
    await shot(page, '1-legacy')
    await page.close()
  })

  it('runs shadow mode on the legacy storage: SQLite written beside it, equal when compared, each write timed on both', async () => {
    const page = await open()
    await storagePanel(page)
    await page.getByLabel('Write SQLite beside the legacy storages (next start)').check()
    await page.reload()
    expect(await started(page)).toBe('legacy')
    await sendAndWait(page, 'A message written in shadow mode')
    await storagePanel(page)
    const panel = page.getByRole('complementary', { name: 'Storage' })
    await panel.getByText('On: 7 stores run on their legacy storage').waitFor()
    await panel.getByRole('button', { name: 'Compare the two storages now' }).click()
    const comparisons = panel.getByTestId('shadow-comparisons').locator('li')
    await comparisons.first().waitFor()
    expect(await comparisons.allInnerTexts()).toEqual(legacyNames.map((name) => `${name}: equal`))
    // Both storages timed on this machine, side by side.
    const costs = panel.getByTestId('write-costs')
    for (const storage of ['legacy', 'sqlite']) {
      const shadowWrites = await costs
        .locator(`tr[data-storage="${storage}"] td[data-mode="shadow"]`)
        .getAttribute('data-writes')
      expect(Number(shadowWrites)).toBeGreaterThan(10)
    }
    await panel.getByTestId('write-ratio').waitFor()
    await panel.getByTestId('write-cost-chart').scrollIntoViewIfNeeded()
    await shot(page, '2-shadow-mode')
    // Off again: the rollout, not shadow mode, moves the device.
    await page.getByLabel('Write SQLite beside the legacy storages (next start)').uncheck()
    beforeMigration = await snapshot(page)
    await page.close()
  })

  it('migrates with visible progress when the rollout reaches the device, and shows the same data on SQLite', async () => {
    const page = await open()
    await storagePanel(page)
    // The smallest stage that takes this device in: its bucket is below the percentage.
    const bucket = Number(await page.getByTestId('rollout-bucket').innerText())
    const stage = [5, 25, 75, 100].find((s) => bucket < s)!
    await page
      .getByRole('group', { name: 'Rollout percentage' })
      .getByRole('button', { name: `${stage}%`, exact: true })
      .click()
    await expect(page.getByTestId('next-start').innerText()).resolves.toContain('SQLite, migrating first')
    const reloaded = page.waitForEvent('load')
    await page.getByRole('button', { name: 'Reload to apply' }).click()
    await reloaded
    // The progress screen, photographed while it shows when the test catches it; the steps it showed are recorded.
    const progress = page.getByTestId('migration-progress')
    const badge = page.getByTestId('storage-badge')
    await progress.or(badge).first().waitFor({ timeout: 120_000 })
    if (await progress.isVisible()) await shot(page, '3-migrating')
    expect(await started(page)).toBe('sqlite')
    const steps = await page.evaluate(() => window.chatWebProgress ?? [])
    expect(steps).toEqual(expect.arrayContaining(['read', 'backup', 'write', 'verify']))

    expect(difference(await snapshot(page), beforeMigration)).toBeUndefined()
    await storagePanel(page)
    const report = page.getByTestId('verification-report')
    await report.waitFor()
    const statuses = await report.locator('tbody tr td:nth-child(2)').allInnerTexts()
    expect(statuses).toHaveLength(7)
    for (const status of statuses) expect(status).toBe('verified')
    figures['migrationMs'] = Number((await page.getByTestId('migration-ms').innerText()).replace(/\D/g, ''))
    // Monitoring counts each store's migration, and no error.
    await expect(page.getByTestId('migration-success').innerText()).resolves.toContain('7 of 7 succeeded (100%)')
    await expect(page.getByTestId('migration-errors').innerText()).resolves.toBe('Errors by code: none')
    await shot(page, '4-migrated')
    await page.close()
  })

  it('keeps a streamed reply across an immediate reload, and reloads onto SQLite', async () => {
    const page = await open()
    await page.getByRole('button', { name: 'New chat' }).click()
    const reply = await sendAndWait(page, 'How do I keep streamed answers safe across reloads?')
    expect(reply.length).toBeGreaterThan(100)
    const id = await page.locator('.chat-row.open').getAttribute('data-chat-id')
    await page.reload()
    expect(await started(page)).toBe('sqlite')
    await page.locator(`[data-chat-id="${id}"]`).click()
    const kept = page.getByTestId('messages').locator('article.message.assistant').last().locator('.body')
    expect((await kept.innerText()).trim()).toBe(reply)
    await expect(page.getByTestId('messages').locator('[data-pending="true"]').count()).resolves.toBe(0)
    await shot(page, '5-reply-kept')
    await page.close()
  })

  it('keeps what the drawer, the chat and the settings change on SQLite: folders, a dragged chat, a file, the theme', async () => {
    const page = await open()
    const drawer = page.getByRole('navigation', { name: 'Conversations' })
    // A folder: created, renamed, a chat dragged into it, then closed.
    await drawer.getByRole('button', { name: '+ New folder' }).click()
    await drawer.getByLabel('New folder name').fill('Demo folder')
    await drawer.getByLabel('New folder name').press('Enter')
    await drawer.locator('.folder-title', { hasText: 'Demo folder' }).dblclick()
    await drawer.getByLabel('Rename folder Demo folder').fill('Kept folder')
    await drawer.getByLabel('Rename folder Demo folder').press('Enter')
    const folder = drawer.locator('.folder', { has: page.locator('.folder-title', { hasText: 'Kept folder' }) })
    const chat = drawer.getByRole('region', { name: 'Chats' }).locator('[data-chat-id]').first()
    const chatId = (await chat.getAttribute('data-chat-id'))!
    await chat.dragTo(folder.locator('.folder-head'))
    await folder.locator(`[data-chat-id="${chatId}"]`).waitFor()
    await folder.getByRole('button', { name: 'Close folder Kept folder' }).click()
    await expect(folder.locator('[data-chat-id]').count()).resolves.toBe(0)

    // Search finds a conversation by the text of one of its messages.
    const shown = (await snapshot(page)) as { conversations: { id: string; messages: { text: string }[] }[] }
    const target = shown.conversations.find((c) => c.messages.some((m) => /\b[A-Za-z]{9,}\b/.test(m.text)))!
    const word = target.messages.map((m) => m.text.match(/\b[A-Za-z]{9,}\b/)?.[0]).find((w) => w !== undefined)!
    await drawer.getByLabel('Search chats').fill(word)
    const results = drawer.getByTestId('search-results')
    await results.locator(`[data-chat-id="${target.id}"]`).waitFor()
    await results.locator(`[data-chat-id="${target.id}"]`).click()
    await drawer.getByLabel('Search chats').fill('')

    // A file attached to the open conversation, kept in the SQLite workspace with its content.
    await page.getByLabel('Attach file', { exact: true }).setInputFiles({
      name: 'notes.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# Notes\n\nKept in SQLite.\n'),
    })
    await page.getByRole('list', { name: 'Attached files' }).getByText('notes.md').waitFor()

    // A preference.
    await page.getByRole('button', { name: 'Settings & Labs' }).click()
    await page.getByLabel('Theme').selectOption('dark')
    await expect(page.locator('.app').getAttribute('class')).resolves.toContain('dark')
    const before = await snapshot(page)
    await shot(page, '6-drawer-and-tools')

    await page.reload()
    expect(await started(page)).toBe('sqlite')
    expect(difference(await snapshot(page), before)).toBeUndefined()
    await expect(page.locator('.app').getAttribute('class')).resolves.toContain('dark')
    const kept = page.locator('.folder', { has: page.locator('.folder-title', { hasText: 'Kept folder' }) })
    await expect(kept.getByRole('button', { name: 'Open folder Kept folder' }).isVisible()).resolves.toBe(true)
    // The chat may sit in a closed folder: found by search again.
    await page.getByLabel('Search chats').fill(word)
    await page.getByTestId('search-results').locator(`[data-chat-id="${target.id}"]`).click()
    await page.getByRole('list', { name: 'Attached files' }).getByText('notes.md').waitFor()
    // Back to the system theme for the screenshots that follow.
    await page.getByRole('button', { name: 'Settings & Labs' }).click()
    await page.getByLabel('Theme').selectOption('light')
    await page.evaluate(() => window.chatWeb!.flush())
    await page.close()
  })

  it('runs in two tabs at once: one writes, the other says so, and the messages of both appear in both', async () => {
    const first = await open()
    const second = await open()
    const roles = await Promise.all(
      [first, second].map(async (page) => {
        const badge = page.getByTestId('tab-role')
        await badge.waitFor()
        return badge.getAttribute('data-role')
      }),
    )
    expect([...roles].sort()).toEqual(['follower', 'writer'])

    const chat = (await first.locator('.chat-row').first().getAttribute('data-chat-id'))!
    for (const page of [first, second]) await page.locator(`[data-chat-id="${chat}"]`).first().click()
    const fromFirst = await sendAndWait(first, 'Written in the first tab')
    const fromSecond = await sendAndWait(second, 'Written in the second tab')
    for (const page of [first, second]) {
      const texts = page.getByTestId('messages')
      await texts.getByText('Written in the second tab', { exact: true }).waitFor()
      await texts.getByText('Written in the first tab', { exact: true }).waitFor()
      const replies = await texts.locator('article.message.assistant .body').allInnerTexts()
      expect(replies.map((r) => r.trim())).toEqual(expect.arrayContaining([fromFirst, fromSecond]))
    }
    expect(difference(await snapshot(second), await snapshot(first))).toBeUndefined()
    await shot(first, '7-tab-writer')
    await shot(second, '7-tab-follower')
    // Nothing lost: a fresh start of the app finds both tabs' messages.
    await second.close()
    await first.reload()
    await started(first)
    await first.locator(`[data-chat-id="${chat}"]`).first().click()
    await first.getByTestId('messages').getByText('Written in the second tab', { exact: true }).waitFor()
    await first.getByTestId('messages').getByText('Written in the first tab', { exact: true }).waitFor()
    beforeRollback = await snapshot(first)
    // The cost of each write, as this machine measured it alone on each storage (for the closing note).
    await storagePanel(first)
    for (const storage of ['legacy', 'sqlite'])
      figures[`${storage}WriteMedian`] = await first
        .locator(`[data-testid="write-costs"] tr[data-storage="${storage}"] td[data-mode="alone"]`)
        .innerText()
        .then((text) => Number.parseFloat(text))
    await first.close()
  })

  it('rolls back to IndexedDB with every message written after the cutover, and moves forward again losing nothing', async () => {
    const page = await open()
    expect(difference(await snapshot(page), beforeRollback)).toBeUndefined()
    const attached = (beforeRollback as { attachments: Record<string, string[]> }).attachments
    expect(Object.values(attached).flat()).toContain('notes.md')
    await storagePanel(page)
    const reloaded = page.waitForEvent('load')
    await page.getByTestId('rollback').click()
    await reloaded
    expect(await started(page)).toBe('legacy')
    // Every conversation, message, folder and setting is back on the legacy storages. The attached file is not
    // shown there: big-AGI's workspace value keeps the assignment alone (its live files are another store), and
    // the file's content stays in SQLite.
    expect(difference(await snapshot(page), { ...(beforeRollback as object), attachments: {} })).toBeUndefined()
    const workspace = await page.evaluate(() => localStorage.getItem('agi-client-workspace'))
    const assignments = (JSON.parse(workspace!) as { state: { liveFilesByWorkspace: Record<string, string[]> } }).state
      .liveFilesByWorkspace
    expect(Object.keys(assignments)).toEqual(expect.arrayContaining(Object.keys(attached)))
    await storagePanel(page)
    await page.getByTestId('rollback-summary').waitFor()
    const storages = await page
      .locator('[data-testid="store-storages"] tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-storage')))
    expect(new Set(storages)).toEqual(new Set(['legacy']))
    await shot(page, '8-rolled-back')
    // It stays there on the next start.
    await page.reload()
    expect(await started(page)).toBe('legacy')

    // Forward again: the migration finds the file it kept, and everything shows as before the rollback.
    await storagePanel(page)
    const forward = page.waitForEvent('load')
    await page.getByTestId('migrate-now').click()
    await forward
    expect(await started(page)).toBe('sqlite')
    // The labs switch the button turned on is the one difference.
    const labs = { ...(beforeRollback as { labs: object }).labs, 'sqlite-migration': true }
    expect(difference(await snapshot(page), { ...(beforeRollback as object), labs })).toBeUndefined()
    await page.close()
    expect(pageErrors).toEqual([])
  })
})

describe('the chat app with a legacy value its persist cannot read', () => {
  it('starts without the store, says which, and shows the others', async () => {
    const browser = await chromium.launch(chromiumLaunchOptions())
    try {
      const context = await browser.newContext()
      // A device whose app-ui was written by a newer app: the legacy persist refuses to migrate version 99.
      await context.addInitScript(() => {
        if (localStorage.getItem('chat-web:seeded') !== null) return
        localStorage.setItem('chat-web:seeded', 'before')
        localStorage.setItem('app-ui', JSON.stringify({ state: { centerMode: 'wide' }, version: 99 }))
      })
      const page = await context.newPage()
      await page.goto(origin)
      expect(await started(page)).toBe('legacy')
      await expect(page.getByRole('alert').innerText()).resolves.toContain('app-ui')
      // The other stores run: a chat can be written.
      await page.getByRole('button', { name: 'New chat' }).click()
      await sendAndWait(page, 'Still works')
    } finally {
      await browser.close()
    }
  })
})
