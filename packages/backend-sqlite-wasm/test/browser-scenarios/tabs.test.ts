import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startBrowserHarness } from '../../../../test-utils/browser'
import type { BrowserHarness } from '../../../../test-utils/browser'
import type {} from './pages/chat'

let browser: BrowserHarness
let db: string

beforeEach(async () => {
  browser = await startBrowserHarness({ pages: new URL('./pages', import.meta.url) })
  db = `scenario-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.db`
})

afterEach(async () => {
  await browser.close()
})

async function openChat(): Promise<Page> {
  const page = await browser.open(`chat.html?db=${db}`)
  await page.waitForFunction(() => window.chat !== undefined)
  return page
}

const ids = (page: Page): Promise<string[]> => page.evaluate(() => window.chat!.messages().map((m) => m.id))
const texts = (page: Page): Promise<string[]> => page.evaluate(() => window.chat!.messages().map((m) => m.text))

describe('sqlite-wasm in Chromium', () => {
  for (const delay of [0, 50, 200]) {
    it(`keeps a set across a reload ${delay} ms after it, without a flush`, async () => {
      const page = await openChat()
      await page.evaluate(() => window.chat!.add('m1', 'typed just before the reload'))
      if (delay > 0) await page.waitForTimeout(delay)
      await page.reload()
      await page.waitForFunction(() => window.chat !== undefined)
      expect(await texts(page)).toEqual(['typed just before the reload'])
      expect(browser.pageErrors).toEqual([])
    })
  }

  it('keeps flushed messages when the browser is closed and reopened on the same profile', async () => {
    const page = await openChat()
    await page.evaluate(async () => {
      window.chat!.add('m1', 'one')
      window.chat!.add('m2', 'two')
      await window.chat!.flush()
    })
    await browser.relaunch()
    expect(await ids(await openChat())).toEqual(['m1', 'm2'])
  })

  it('has one writer among two tabs, and a store in one tab sees the other tab commit, without a reload', async () => {
    const a = await openChat()
    const b = await openChat()
    expect([await a.evaluate(() => window.chat!.role()), await b.evaluate(() => window.chat!.role())]).toEqual([
      'writer',
      'follower',
    ])
    await a.evaluate(async () => {
      window.chat!.add('from-a', 'written in tab A')
      await window.chat!.flush()
    })
    await b.waitForFunction(() => window.chat!.messages().some((m) => m.id === 'from-a'))
    await b.evaluate(async () => {
      window.chat!.add('from-b', 'written in tab B')
      await window.chat!.flush()
    })
    await a.waitForFunction(() => window.chat!.messages().some((m) => m.id === 'from-b'))
    expect(await ids(a)).toEqual(['from-a', 'from-b'])
    expect(await ids(b)).toEqual(['from-a', 'from-b'])
  })

  it('loses nothing when two tabs write interleaved', async () => {
    const a = await openChat()
    const b = await openChat()
    // Not awaiting each other: the tabs' writes cross.
    await Promise.all([
      a.evaluate(async () => {
        for (let i = 0; i < 10; i++) {
          window.chat!.add(`a${i}`, `a ${i}`)
          await window.chat!.flush()
        }
      }),
      b.evaluate(async () => {
        for (let i = 0; i < 10; i++) {
          window.chat!.add(`b${i}`, `b ${i}`)
          await window.chat!.flush()
        }
      }),
    ])
    const expected = [
      ...Array.from({ length: 10 }, (_, i) => `a${i}`),
      ...Array.from({ length: 10 }, (_, i) => `b${i}`),
    ]
    const fresh = await openChat()
    expect((await ids(fresh)).sort()).toEqual(expected.sort())
    await a.waitForFunction((n) => window.chat!.messages().length === n, expected.length)
    await b.waitForFunction((n) => window.chat!.messages().length === n, expected.length)
    expect(await ids(a)).toEqual(await ids(fresh))
    expect(await ids(b)).toEqual(await ids(fresh))
  })

  it('loses no acknowledged token when the writing tab is closed in the middle of a stream', async () => {
    const writer = await openChat()
    const streamer = await openChat()
    expect(await writer.evaluate(() => window.chat!.role())).toBe('writer')
    await streamer.evaluate(async () => {
      window.chat!.add('answer', '')
      await window.chat!.flush()
    })
    const tokens = Array.from({ length: 40 }, (_, i) => `t${i} `)
    // The stream runs in the follower tab; the writer tab is closed half-way.
    const streaming = streamer.evaluate(async (list) => {
      for (const token of list) {
        window.chat!.append('answer', token)
        await window.chat!.flush()
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    }, tokens)
    await streamer.waitForFunction(() => window.chat!.messages()[0]!.text.length > 60)
    await writer.close()
    await streaming
    expect(await streamer.evaluate(() => window.chat!.role())).toBe('writer')
    expect(await texts(await openChat())).toEqual([tokens.join('')])
  })
})
