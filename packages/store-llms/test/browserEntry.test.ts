import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'
import type { Logger, Rollup } from 'vite'
import { describe, expect, it } from 'vitest'
import { fileSecretKey } from '../src/browser'
import { failure } from '../../../test-utils/backends'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

/** Bundles `entry` as an app's browser build would, and returns what Vite warned about and the code. */
async function bundle(entry: string): Promise<{ warnings: string[]; code: string }> {
  const warnings: string[] = []
  const logger: Logger = {
    info: () => undefined,
    warn: (message) => warnings.push(message),
    warnOnce: (message) => warnings.push(message),
    error: (message) => warnings.push(message),
    clearScreen: () => undefined,
    hasErrorLogged: () => false,
    hasWarned: false,
  }
  const output = (await build({
    root: packageDir,
    configFile: false,
    logLevel: 'warn',
    customLogger: logger,
    build: {
      write: false,
      lib: { entry: fileURLToPath(new URL(entry, import.meta.url)), formats: ['es'], fileName: 'bundle' },
      rollupOptions: {
        external: [/^@zustand-sqlite\/core/, /^zustand/, 'idb-keyval'],
        onwarn: (warning) => warnings.push(warning.message),
      },
    },
  })) as Rollup.RollupOutput[]
  const code = output
    .flatMap((o) => o.output)
    .map((chunk) => (chunk.type === 'chunk' ? chunk.code : ''))
    .join('\n')
  return { warnings, code }
}

describe('the browser build', () => {
  it('bundles for a browser without Node’s modules', async () => {
    const { warnings, code } = await bundle('../src/browser.ts')
    expect(warnings.filter((w) => /externalized|node:|fs\/promises/.test(w))).toEqual([])
    expect(code).not.toMatch(/node:fs|node:crypto|node:path/)
    expect(code).toMatch(/indexedDBSecretKey/)
  })

  it('is what package.json gives bundlers for browsers; Node gets the build with the key file', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, Record<string, Record<string, Record<string, string>>>>
    }
    const root = manifest.exports['.'] ?? {}
    expect(Object.keys(root)[0]).toBe('browser')
    expect(root['browser']?.['import']).toEqual({ types: './dist/browser.d.ts', default: './dist/browser.js' })
    expect(root['import']?.['default']).toBe('./dist/index.js')
  })

  it('refuses a key file with INVALID_OPTIONS', async () => {
    expect(await failure(() => fileSecretKey('app-models.key'))).toMatchObject({ code: 'INVALID_OPTIONS' })
  })
})
