import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string): string => fileURLToPath(new URL(`./packages/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests run against the sources; the built packages are checked by publint and attw.
    alias: [
      { find: /^@zustand-sqlite\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
      { find: /^@zustand-sqlite\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@zustand-sqlite\/backend-better-sqlite3$/, replacement: src('backend-better-sqlite3/src/index.ts') },
      { find: /^@zustand-sqlite\/backend-sqljs$/, replacement: src('backend-sqljs/src/index.ts') },
      {
        find: /^@zustand-sqlite\/store-(ui|labs|device|chats|folders|metrics|workspace)$/,
        replacement: src('store-$1/src/index.ts'),
      },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['packages/*/test/**/*.test-d.ts'] },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
