import { readFileSync } from 'node:fs'
import initSqlJs from 'sql.js'
import { describe, expect, it } from 'vitest'
import { bundleForBrowser } from '../../../test-utils/bundle'
import { createSqlJsBackend, fileStorage } from '../src/browser'

// What the app bundles anyway, with sql.js's own browser build: only this package's code is under test.
const bundle = (entry: string) =>
  bundleForBrowser(new URL(entry, import.meta.url), [/^@zustand-sqlite\/core/, /^sql\.js/, 'idb-keyval'])

describe('the browser build', () => {
  it('bundles for a browser without Node’s file system modules', async () => {
    const { warnings, code } = await bundle('../src/browser.ts')
    expect(warnings.filter((w) => /externalized|node:|fs\/promises/.test(w))).toEqual([])
    expect(code).not.toMatch(/node:fs|node:os|node:path/)
  })

  it('is what package.json gives bundlers for browsers; Node gets the build with the file storage', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, Record<string, Record<string, Record<string, string>>>>
    }
    const root = manifest.exports['.'] ?? {}
    expect(Object.keys(root)[0]).toBe('browser')
    expect(root['browser']?.['import']).toEqual({ types: './dist/browser.d.ts', default: './dist/browser.js' })
    expect(root['browser']?.['require']).toEqual({ types: './dist/browser.d.cts', default: './dist/browser.cjs' })
    expect(root['import']?.['default']).toBe('./dist/index.js')
    expect(root['require']?.['default']).toBe('./dist/index.cjs')
  })

  it('refuses a file storage with INVALID_OPTIONS, and keeps everything else', async () => {
    expect(() => fileStorage('app.sqlite')).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
    const sqlJs = initSqlJs()
    await expect(createSqlJsBackend({ sqlJs, storage: { file: 'app.sqlite' } })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    })
    const backend = await createSqlJsBackend({ sqlJs, storage: 'memory' })
    expect(await backend.query('SELECT 1 AS one')).toEqual([{ one: 1 }])
    await backend.close()
  })
})
