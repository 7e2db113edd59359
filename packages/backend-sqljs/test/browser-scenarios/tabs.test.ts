import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startBrowserHarness } from '../../../../test-utils/browser'
import type { BrowserHarness } from '../../../../test-utils/browser'
import type {} from './pages/app'

// Two tabs of one profile on one database: each holds its own copy in memory.
let browser: BrowserHarness

beforeAll(async () => {
  browser = await startBrowserHarness({ pages: new URL('./pages', import.meta.url) })
})

afterAll(async () => {
  await browser.close()
})

async function openApp(db: string): Promise<Page> {
  const page = await browser.open(`app.html?db=${db}`)
  await page.waitForFunction(() => window.app !== undefined)
  return page
}

const valueIn = async (db: string): Promise<string | undefined> => {
  const page = await openApp(db)
  const value = await page.evaluate(() => window.app?.get())
  await page.close()
  return value
}

it('lets one of two writing tabs win: every flush resolves with its write stored, or rejects', async () => {
  const db = 'two-writing-tabs'
  const tabs = [await openApp(db), await openApp(db)]
  const acknowledged: { tab: number; text: string }[] = []
  for (let round = 0; round < 4; round++) {
    const outcomes = await Promise.all(
      tabs.map((tab, i) => tab.evaluate((text) => window.app?.setAndFlush(text), `tab ${i}, round ${round}`)),
    )
    outcomes.forEach((outcome, tab) => {
      expect(['ok', 'CONCURRENT_MODIFICATION']).toContain(outcome)
      if (outcome === 'ok') acknowledged.push({ tab, text: `tab ${tab}, round ${round}` })
    })
  }
  expect(new Set(acknowledged.map((a) => a.tab)).size).toBe(1)
  expect(await valueIn(db)).toBe(acknowledged.at(-1)?.text)

  // The winner's set, never flushed, is kept across a reload made right after it; the refused tab stores
  // nothing over it, neither while the other reloads nor when it is closed.
  const winner = tabs[acknowledged[0]?.tab ?? 0] as Page
  const refused = tabs[1 - (acknowledged[0]?.tab ?? 0)] as Page
  await refused.evaluate(() => window.app?.set('refused tab, not flushed'))
  await winner.evaluate(() => window.app?.set('winning tab, not flushed'))
  await winner.reload()
  await winner.waitForFunction(() => window.app !== undefined)
  expect(await winner.evaluate(() => window.app?.get())).toBe('winning tab, not flushed')
  await refused.close({ runBeforeUnload: true })
  await winner.close({ runBeforeUnload: true })
  expect(await valueIn(db)).toBe('winning tab, not flushed')
})

it('shows a tab opened right after another tab’s set what it set, and lets it write once the other is closed', async () => {
  const db = 'tab-takes-over'
  const errorsBefore = browser.pageErrors.length
  const first = await openApp(db)
  await first.evaluate(() => window.app?.set('set in the first tab, not flushed'))
  const second = await openApp(db)
  expect(await second.evaluate(() => window.app?.get())).toBe('set in the first tab, not flushed')
  await first.close({ runBeforeUnload: true })
  expect(await second.evaluate(() => window.app?.setAndFlush('from the second tab'))).toBe('ok')
  await second.close()
  expect(await valueIn(db)).toBe('from the second tab')
  expect(browser.pageErrors.slice(errorsBefore)).toEqual([])
})
