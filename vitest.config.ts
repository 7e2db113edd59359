import { fileURLToPath } from 'node:url'
import { playwright } from '@vitest/browser-playwright'
import { configDefaults, defineConfig } from 'vitest/config'
// With an extension, as Vite's native config loader will require; `.js` resolves to the .ts source.
import { chromiumLaunchOptions } from './test-utils/browser.js'

const src = (path: string): string => fileURLToPath(new URL(`./packages/${path}`, import.meta.url))

/** In-page test files: they run in Chromium (the `browser` project), not in Node. */
const browserTests = 'packages/*/test/browser/**/*.test.ts'

export default defineConfig({
  resolve: {
    // Tests run against the sources; the built packages are checked by publint and attw.
    alias: [
      { find: /^@zustand-sqlite\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
      { find: /^@zustand-sqlite\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@zustand-sqlite\/backend-better-sqlite3$/, replacement: src('backend-better-sqlite3/src/index.ts') },
      { find: /^@zustand-sqlite\/backend-sqljs$/, replacement: src('backend-sqljs/src/index.ts') },
      { find: /^@zustand-sqlite\/backend-sqlite-wasm$/, replacement: src('backend-sqlite-wasm/src/index.ts') },
      { find: /^@zustand-sqlite\/backend-libsql$/, replacement: src('backend-libsql/src/index.ts') },
      { find: /^@zustand-sqlite\/migrate$/, replacement: src('migrate/src/index.ts') },
      { find: /^@zustand-sqlite\/server$/, replacement: src('server/src/index.ts') },
      { find: /^@zustand-sqlite\/backend-http$/, replacement: src('backend-http/src/index.ts') },
      {
        find: /^@zustand-sqlite\/store-(ui|labs|device|chats|folders|metrics|workspace|llms)$/,
        replacement: src('store-$1/src/index.ts'),
      },
    ],
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, browserTests],
          typecheck: { enabled: true, include: ['packages/*/test/**/*.test-d.ts'] },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: [browserTests],
          browser: {
            enabled: true,
            headless: true,
            // The system's Chromium; see test-utils/browser.ts for why no downloaded browser.
            provider: playwright({ launchOptions: chromiumLaunchOptions() }),
            instances: [{ browser: 'chromium' }],
            api: { host: '127.0.0.1' },
            // The tests render nothing: a screenshot of a blank page would only litter test/browser/.
            screenshotFailures: false,
          },
        },
      },
    ],
  },
})
