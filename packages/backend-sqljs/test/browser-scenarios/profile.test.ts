import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startBrowserHarness } from '../../../../test-utils/browser'
import type { BrowserHarness } from '../../../../test-utils/browser'
import type {} from './pages/notes'

let browser: BrowserHarness

beforeEach(async () => {
  browser = await startBrowserHarness({ pages: new URL('./pages', import.meta.url) })
})

afterEach(async () => {
  await browser.close()
})

async function openNotes(): Promise<Page> {
  const page = await browser.open('notes.html')
  await page.waitForFunction(() => window.notes !== undefined)
  return page
}

it('keeps a flushed value when the browser is closed and reopened on the same profile', async () => {
  const first = await openNotes()
  expect(await first.evaluate(() => window.notes?.get())).toBeUndefined()
  await first.evaluate(() => window.notes?.set('kept across a browser restart'))

  await browser.relaunch()

  const second = await openNotes()
  expect(await second.evaluate(() => window.notes?.get())).toBe('kept across a browser restart')
  expect(browser.pageErrors).toEqual([])
})
