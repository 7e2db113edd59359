// The browser the bench measures in: test-utils/browser.ts's harness (the pages served by Vite on 127.0.0.1
// with the repository's aliases to the packages' sources, the system's Chromium through playwright-core,
// headless, a profile on disk as a user's is), with V8's `gc()` exposed to the pages, so that every round
// starts after a collection as in the Node bench.
import type { Page } from 'playwright-core'
import { startBrowserHarness } from '../../test-utils/browser'

/** A page server and one Chromium on a fresh profile. */
export interface BenchBrowser {
  readonly origin: string
  /** The browser's user agent (Chromium's version is in it). */
  readonly userAgent: string
  /** Uncaught errors and `console.error` lines of every page opened so far. */
  readonly pageErrors: readonly string[]
  /** Opens `path` (relative to the pages directory) in a new tab, once loaded. */
  open(path: string): Promise<Page>
  /** Closes the browser and the server, and removes the profile. */
  close(): Promise<void>
}

/** Serves `pages` and launches Chromium headless on a new profile in the temporary directory. */
export async function startBenchBrowser(pages: string): Promise<BenchBrowser> {
  const harness = await startBrowserHarness({ pages, chromiumArgs: ['--js-flags=--expose-gc'] })
  // A persistent context has no Browser object to ask for its version: a blank tab tells it.
  const blank = await harness.context.newPage()
  const userAgent = await blank.evaluate(() => navigator.userAgent)
  await blank.close()
  return {
    origin: harness.origin,
    userAgent,
    pageErrors: harness.pageErrors,
    open: (path) => harness.open(path),
    close: () => harness.close(),
  }
}
