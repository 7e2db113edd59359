// The browser the bench measures in: test-utils/browser.ts's approach (the pages served by Vite on 127.0.0.1
// with the repository's aliases to the packages' sources, the system's Chromium through playwright-core,
// headless), with two differences a bench needs: V8's `gc()` is exposed to the pages, so every round starts
// after a collection as in the Node bench, and the profile is on disk, as a user's is.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { BrowserContext, Page } from 'playwright-core'
import { createServer } from 'vite'
import type { Plugin, ViteDevServer } from 'vite'
import { chromiumLaunchOptions } from '../../test-utils/browser'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

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

/** Chromium asks every origin for /favicon.ico; its 404 would read as a page error. */
const noFavicon: Plugin = {
  name: 'zustand-sqlite:no-favicon',
  configureServer: (server) => {
    server.middlewares.use('/favicon.ico', (_request, response) => {
      response.statusCode = 204
      response.end()
    })
  },
}

async function servePages(pages: string): Promise<ViteDevServer> {
  const server = await createServer({
    // The repository's Vitest config: the pages import the packages' sources through the same aliases as tests.
    configFile: join(repoRoot, 'vitest.config.ts'),
    root: pages,
    cacheDir: join(repoRoot, 'node_modules/.vite/bench-browser'),
    plugins: [noFavicon],
    logLevel: 'warn',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false, watch: null },
    optimizeDeps: {
      // Every page scanned at start: a dependency discovered late would make Vite reload the open pages.
      entries: ['**/*.html'],
      // sqlite-wasm loads its .wasm by URL, which pre-bundling would move away from.
      exclude: ['@sqlite.org/sqlite-wasm'],
    },
  })
  await server.listen()
  return server
}

/** Serves `pages` and launches Chromium headless on a new profile in the temporary directory. */
export async function startBenchBrowser(pages: string): Promise<BenchBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'zs-bench-chromium-'))
  const server = await servePages(pages)
  const origin = server.resolvedUrls?.local[0]
  let context: BrowserContext
  try {
    if (origin === undefined) throw new Error('the bench page server has no local URL')
    const options = chromiumLaunchOptions()
    context = await chromium.launchPersistentContext(profile, {
      ...options,
      args: [...(options.args ?? []), '--js-flags=--expose-gc'],
    })
  } catch (error) {
    await server.close()
    rmSync(profile, { recursive: true, force: true })
    throw error
  }
  const pageErrors: string[] = []
  // A persistent context has no Browser object to ask for its version: a blank tab tells it.
  const blank = await context.newPage()
  const userAgent = await blank.evaluate(() => navigator.userAgent)
  await blank.close()
  return {
    origin,
    userAgent,
    pageErrors,
    open: async (path) => {
      const page = await context.newPage()
      const url = new URL(path, origin).href
      page.on('pageerror', (error) => pageErrors.push(`${url}: ${error.message}`))
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(`${message.location().url || url}: ${message.text()}`)
      })
      await page.goto(url)
      return page
    },
    close: async () => {
      try {
        await context.close()
      } finally {
        await server.close()
        rmSync(profile, { recursive: true, force: true })
      }
    },
  }
}
