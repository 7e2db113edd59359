import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { bundleForBrowser } from '../../../test-utils/bundle'
import { fileSecretKey } from '../src/browser'
import { failure } from '../../../test-utils/backends'

const bundle = (entry: string) =>
  bundleForBrowser(new URL(entry, import.meta.url), [/^@zustand-sqlite\/core/, /^zustand/, 'idb-keyval'])

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
