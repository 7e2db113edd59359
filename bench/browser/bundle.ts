// B3: what each contender adds to an app. A tiny app per contender (bench/browser/apps/<name>: the chat store
// persisted that way) is built by Vite for production, and every JS and wasm file it emits is weighed, raw and
// gzipped. The built app is then opened in Chromium, from Vite's preview server, until its store has
// hydrated: the files it fetched (its workers' included) are what a first visit loads; a file emitted but not
// fetched is one a code path of a dependency may ask for, and this app never does.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import type { BrowserContext } from 'playwright-core'
import { build, createLogger, preview } from 'vite'
import { chromiumLaunchOptions } from '../../test-utils/browser'

const here = fileURLToPath(new URL('.', import.meta.url))
const src = (path: string): string => fileURLToPath(new URL(`../../packages/${path}`, import.meta.url))

export const APPS = ['zustand', 'persist-idb', 'sqljs', 'sqlite-wasm'] as const
export type App = (typeof APPS)[number]

export const APP_LABELS: Record<App, string> = {
  zustand: 'Zustand alone (baseline)',
  'persist-idb': 'persist + idb-keyval',
  sqljs: 'persistSQLite, sql.js',
  'sqlite-wasm': 'persistSQLite, sqlite-wasm',
}

export interface BuiltFile {
  file: string
  kind: 'js' | 'wasm'
  bytes: number
  gzip: number
  /** Fetched by the app (page or worker) before its store had hydrated. */
  loaded: boolean
}

interface Weight {
  bytes: number
  gzip: number
}

export interface AppSize {
  app: App
  files: BuiltFile[]
  /** Every file emitted. */
  emitted: { js: Weight; wasm: Weight }
  /** The files fetched by a first visit until hydrated. */
  loaded: { js: Weight; wasm: Weight }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

const weigh = (files: readonly BuiltFile[], kind: BuiltFile['kind']): Weight =>
  files
    .filter((f) => f.kind === kind)
    .reduce((sum, f) => ({ bytes: sum.bytes + f.bytes, gzip: sum.gzip + f.gzip }), { bytes: 0, gzip: 0 })

/** Vite's warnings, but one: sql.js is imported by the app and, as a fallback, dynamically by the backend. */
const logger = createLogger('warn')
const warn = logger.warn.bind(logger)
logger.warn = (message, options) => {
  if (!message.includes('INEFFECTIVE_DYNAMIC_IMPORT')) warn(message, options)
}

async function buildApp(app: App, outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: join(here, 'apps', app),
    customLogger: logger,
    logLevel: 'warn',
    resolve: {
      // The packages' sources, each through the entry a browser bundle gets (sql.js's backend: its browser build).
      alias: [
        { find: /^@zustand-sqlite\/core$/, replacement: src('core/src/index.ts') },
        { find: /^@zustand-sqlite\/backend-sqljs$/, replacement: src('backend-sqljs/src/browser.ts') },
        { find: /^@zustand-sqlite\/backend-sqlite-wasm$/, replacement: src('backend-sqlite-wasm/src/index.ts') },
      ],
    },
    // As docs/backends/sqlite-wasm.md asks of a Vite app: the worker imports modules.
    worker: { format: 'es' },
    build: { outDir, emptyOutDir: true, reportCompressedSize: false },
  })
}

/** The paths the app fetched, from the page and its workers, until its store hydrated. */
async function fetchedPaths(context: BrowserContext, app: App, outDir: string): Promise<Set<string>> {
  const server = await preview({
    configFile: false,
    root: join(here, 'apps', app),
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: true },
  })
  const origin = server.resolvedUrls?.local[0]
  const paths = new Set<string>()
  const onRequest = (request: { url(): string }): void => {
    const url = new URL(request.url())
    if (url.origin === new URL(origin ?? 'http://invalid').origin) paths.add(url.pathname.replace(/^\//, ''))
  }
  context.on('request', onRequest)
  try {
    if (origin === undefined) throw new Error('the preview server has no local URL')
    const page = await context.newPage()
    await page.goto(origin)
    await page.waitForFunction(() => document.title === 'hydrated', undefined, { timeout: 60_000 })
    await page.close()
    return paths
  } finally {
    context.off('request', onRequest)
    await server.close()
  }
}

function weighApp(app: App, outDir: string, fetched: ReadonlySet<string>): AppSize {
  const files: BuiltFile[] = filesUnder(outDir).flatMap((path) => {
    const kind = path.endsWith('.wasm') ? 'wasm' : /\.m?js$/.test(path) ? 'js' : undefined
    if (kind === undefined) return []
    const file = relative(outDir, path)
    const content = readFileSync(path)
    return [{ file, kind, bytes: content.byteLength, gzip: gzipSync(content).byteLength, loaded: fetched.has(file) }]
  })
  const loaded = files.filter((f) => f.loaded)
  return {
    app,
    files,
    emitted: { js: weigh(files, 'js'), wasm: weigh(files, 'wasm') },
    loaded: { js: weigh(loaded, 'js'), wasm: weigh(loaded, 'wasm') },
  }
}

/** Builds and opens every app; the builds and the browser's profile live in a temporary directory, removed afterwards. */
export async function measureBundles(progress: (message: string) => void): Promise<AppSize[]> {
  const dir = mkdtempSync(join(tmpdir(), 'zs-bench-bundles-'))
  let context: BrowserContext | undefined
  try {
    context = await chromium.launchPersistentContext(join(dir, 'profile'), chromiumLaunchOptions())
    const sizes: AppSize[] = []
    for (const app of APPS) {
      progress(`B3: building and opening the ${app} app`)
      const outDir = join(dir, app)
      await buildApp(app, outDir)
      sizes.push(weighApp(app, outDir, await fetchedPaths(context, app, outDir)))
    }
    return sizes
  } finally {
    await context?.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
