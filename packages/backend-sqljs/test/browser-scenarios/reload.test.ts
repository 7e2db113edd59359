import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startBrowserHarness } from '../../../../test-utils/browser'
import type { BrowserHarness } from '../../../../test-utils/browser'
import type {} from './pages/app'

// One browser for the file; each test keeps its database apart with `?db=`.
let browser: BrowserHarness

beforeAll(async () => {
  browser = await startBrowserHarness({ pages: new URL('./pages', import.meta.url) })
})

afterAll(async () => {
  await browser.close()
})

async function ready(page: Page): Promise<Page> {
  await page.waitForFunction(() => window.app !== undefined)
  return page
}

const openApp = async (db: string): Promise<Page> => ready(await browser.open(`app.html?db=${db}`))

for (const delayMs of [0, 50, 200]) {
  it(`keeps a set made ${delayMs} ms before a reload, without flush()`, async () => {
    const errorsBefore = browser.pageErrors.length
    const page = await openApp(`reload-${delayMs}`)
    await page.evaluate(() => window.app?.set('before'))
    await page.evaluate(() => window.app?.setAndFlush('flushed'))
    await page.evaluate((text) => window.app?.set(text), `set ${delayMs} ms before the reload`)
    if (delayMs > 0) await page.waitForTimeout(delayMs)
    await page.reload()
    await ready(page)
    expect(await page.evaluate(() => window.app?.get())).toBe(`set ${delayMs} ms before the reload`)
    expect(browser.pageErrors.slice(errorsBefore)).toEqual([])
  })
}

it('keeps a set made in the task that reloads the page, without flush()', async () => {
  const page = await openApp('reload-same-task')
  await page.evaluate(() => {
    window.app?.set('set by the task that reloads')
    location.reload()
  })
  await page.waitForLoadState('load')
  await ready(page)
  expect(await page.evaluate(() => window.app?.get())).toBe('set by the task that reloads')
})

it('keeps a set made right before the tab is closed, without flush()', async () => {
  const page = await openApp('close')
  await page.evaluate(() => window.app?.set('set right before closing'))
  await page.close({ runBeforeUnload: true })
  const again = await openApp('close')
  expect(await again.evaluate(() => window.app?.get())).toBe('set right before closing')
  await again.close()
})
