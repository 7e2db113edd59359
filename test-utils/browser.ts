import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, LaunchOptions, Page } from 'playwright-core'
import { createServer, mergeConfig } from 'vite'
import type { InlineConfig, Plugin, ViteDevServer } from 'vite'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))

/**
 * How every test launches Chromium, in Vitest's browser mode and in {@link startBrowserHarness}: the
 * system's Chromium (`CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`), never a browser downloaded by
 * a test tool, since machines that run the tests may reach no network but their package mirrors.
 */
export function chromiumLaunchOptions(): LaunchOptions & { executablePath: string } {
  return {
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: [
      // Tests run as root in CI containers, where Chromium's sandbox cannot start.
      '--no-sandbox',
      // Offline: no update checks, no first-run pings, no background fetches that would hang or log.
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--no-default-browser-check',
      // Containers often have a small /dev/shm; the renderer crashes when it fills.
      '--disable-dev-shm-usage',
    ],
  }
}

/** Options of {@link startBrowserHarness}. */
export interface BrowserHarnessOptions {
  /** The directory of test pages (HTML files and the modules they load), served as the site's root. */
  readonly pages: string | URL
  /**
   * Keep the browser's profile (IndexedDB, OPFS, ...) in a directory, so that {@link BrowserHarness.relaunch}
   * comes back to the same storage, as a user reopening the browser would. @default true
   */
  readonly persistentProfile?: boolean
  /** Extra Vite settings for the pages, merged over the harness's (headers, optimizeDeps, ...). @default none */
  readonly vite?: InlineConfig
  /** More Chromium flags (the bench's `--js-flags=--expose-gc`, say). @default none */
  readonly chromiumArgs?: readonly string[]
}

/** A test-page server and one Chromium, for scenarios that span pages, reloads and browser restarts. */
export interface BrowserHarness {
  /** Where the pages are served, e.g. `http://127.0.0.1:41234/`. */
  readonly origin: string
  /** The browser context of the current launch: its pages share storage, as tabs of one profile do. */
  readonly context: BrowserContext
  /** Uncaught errors and `console.error` lines of every page opened so far, each prefixed with where it came from. */
  readonly pageErrors: readonly string[]
  /** Opens `path` (relative to the pages directory) in a new tab of the current context, once loaded. */
  open(path: string): Promise<Page>
  /** Closes the browser (every tab) and launches it again, on the same profile when it is persistent. */
  relaunch(): Promise<void>
  /** Closes the browser and the server, and removes the profile. */
  close(): Promise<void>
}

/** A cache directory per pages directory: test files serving different pages do not share one. */
function cacheDirFor(pages: string): string {
  return join(repoRoot, 'node_modules/.vite/browser-harness', relative(repoRoot, pages).replace(/[\\/]/g, '_'))
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

async function servePages(pages: string, overrides: InlineConfig | undefined): Promise<ViteDevServer> {
  const config: InlineConfig = {
    // The repository's Vitest config: pages import the packages' sources through the same aliases as tests.
    configFile: join(repoRoot, 'vitest.config.ts'),
    root: pages,
    cacheDir: cacheDirFor(pages),
    plugins: [noFavicon],
    logLevel: 'warn',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false, watch: null },
    optimizeDeps: {
      // Scan every page at start, so no dependency is discovered late (Vite would then reload open pages).
      entries: ['**/*.html'],
      // Packages that load their own .wasm and workers by URL break when pre-bundled.
      exclude: ['@sqlite.org/sqlite-wasm'],
    },
  }
  const server = await createServer(overrides === undefined ? config : mergeConfig(config, overrides))
  await server.listen()
  return server
}

function originOf(server: ViteDevServer): string {
  const url = server.resolvedUrls?.local[0]
  if (url === undefined) throw new Error('the test page server has no local URL')
  return url
}

async function launch(
  profile: string | undefined,
  args: readonly string[] = [],
): Promise<{ context: BrowserContext; browser?: Browser }> {
  const defaults = chromiumLaunchOptions()
  const options = { ...defaults, args: [...(defaults.args ?? []), ...args] }
  if (profile !== undefined) return { context: await chromium.launchPersistentContext(profile, options) }
  const browser = await chromium.launch(options)
  return { browser, context: await browser.newContext() }
}

/**
 * Serves `pages` with Vite on 127.0.0.1 (a free port) and launches Chromium headless. Close it in
 * `afterEach`/`afterAll`.
 *
 * @example
 * ```ts
 * const browser = await startBrowserHarness({ pages: new URL('./pages', import.meta.url) })
 * const page = await browser.open('notes.html')
 * await page.evaluate(() => window.notes?.set('kept'))
 * await browser.relaunch() // same profile: the next page opened sees the same IndexedDB
 * await browser.close()
 * ```
 */
export async function startBrowserHarness(options: BrowserHarnessOptions): Promise<BrowserHarness> {
  const pages = typeof options.pages === 'string' ? options.pages : fileURLToPath(options.pages)
  const profile = (options.persistentProfile ?? true) ? mkdtempSync(join(tmpdir(), 'zs-chromium-')) : undefined
  const server = await servePages(pages, options.vite)
  const origin = originOf(server)
  const pageErrors: string[] = []
  let current: Awaited<ReturnType<typeof launch>>
  try {
    current = await launch(profile, options.chromiumArgs)
  } catch (error) {
    await server.close()
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true })
    throw error
  }

  const closeBrowser = async (): Promise<void> => {
    await current.context.close()
    await current.browser?.close()
  }

  return {
    origin,
    get context() {
      return current.context
    },
    pageErrors,
    open: async (path) => {
      const page = await current.context.newPage()
      const url = new URL(path, origin).href
      page.on('pageerror', (error) => pageErrors.push(`${url}: ${error.message}`))
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(`${message.location().url || url}: ${message.text()}`)
      })
      await page.goto(url)
      return page
    },
    relaunch: async () => {
      await closeBrowser()
      current = await launch(profile, options.chromiumArgs)
    },
    close: async () => {
      try {
        await closeBrowser()
      } finally {
        await server.close()
        if (profile !== undefined) rmSync(profile, { recursive: true, force: true })
      }
    },
  }
}
