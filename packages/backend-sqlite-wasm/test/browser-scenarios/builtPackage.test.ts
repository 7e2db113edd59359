import { afterEach, expect, it } from 'vitest'
import { startBrowserHarness } from '../../../../test-utils/browser'
import type { BrowserHarness } from '../../../../test-utils/browser'
import type {} from './pages/default-worker'

let browser: BrowserHarness | undefined

afterEach(async () => {
  await browser?.close()
})

it('starts its own worker and finds the wasm in a Vite page, as built, without a worker option', async () => {
  browser = await startBrowserHarness({ pages: new URL('./pages', import.meta.url) })
  const page = await browser.open('default-worker.html')
  await page.waitForFunction(() => window.builtPackage !== undefined)
  expect(await page.evaluate(() => window.builtPackage)).toEqual({ role: 'writer', answer: 42 })
  expect(browser.pageErrors).toEqual([])
})
