import { existsSync, readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import type { Backend } from '@zustand-sqlite/core'
import { createLLMsLegacy, rawSecretKey, whenSecretsOpen } from '@zustand-sqlite/store-llms'
import type { LLMsStore } from '@zustand-sqlite/store-llms'
import { createRollout, createSwappableStore, readMigrationRecord, startStorage } from '@zustand-sqlite/migrate'
import { tempDatabase } from '../../../test-utils/backends'
import { MemoryStorage } from './fixtures/legacyData'
import { legacyBrowser } from './helpers'

const fixture = readFileSync(new URL('../../store-llms/test/fixtures/app-models.v5.json', import.meta.url), 'utf8')
const KEYS = ['sk-ant-api03-TESTKEY-4nthropic-b0a7c1e2d3f4a5b6', 'sk-proj-TESTKEY-0penai-c0ffee-4f1d9a2b7e3c5d6a']
const secretKey = rawSecretKey(new Uint8Array(32).fill(7), 'device-key-1')

const dbs: ReturnType<typeof tempDatabase>[] = []
const backends: Backend[] = []
afterEach(async () => {
  for (const backend of backends.splice(0)) await backend.close()
  for (const db of dbs.splice(0)) db.remove()
})

/** Every byte of the database's files (the main file and its WAL). */
const databaseBytes = (file: string): string =>
  [file, `${file}-wal`]
    .filter(existsSync)
    .map((f) => readFileSync(f).toString('latin1'))
    .join('')

describe('moving the LLM store, whose services hold API keys', () => {
  it('keeps no key in clear in the database, backup included, and rolls back to the keys in clear', async () => {
    const db = tempDatabase()
    dbs.push(db)
    const browser = await legacyBrowser({ localStorage: { 'app-models': fixture }, indexedDB: {} })
    const storage = new MemoryStorage()
    const open = (): Backend => {
      const backend = createBetterSqlite3Backend({ filename: db.file })
      backends.push(backend)
      return backend
    }
    const llmsLegacy = createLLMsLegacy({ secretKey })
    for (const key of KEYS) expect(fixture).toContain(key)

    const started = await startStorage({
      rollout: createRollout({ storage, deviceId: 'device-llms', percentage: 100 }),
      stores: [llmsLegacy],
      sources: browser.sources,
      backend: open,
    })
    expect(started.migration?.stores[0]).toMatchObject({ store: 'app-models', outcome: 'migrated' })
    expect((await readMigrationRecord(started.backend as Backend))['app-models']?.status).toBe('verified')
    await (started.backend as Backend).flush()
    const bytes = databaseBytes(db.file)
    expect(bytes).toContain('zs-sealed:v1:')
    for (const key of KEYS) expect(bytes).not.toContain(key)

    // The store on SQLite, given its key, has the keys in clear in memory.
    const llms = createSwappableStore(llmsLegacy, started, { secretKey })
    await whenSecretsOpen(llms as never)
    const setups = JSON.stringify((llms.getState() as LLMsStore).sources.map((s) => s.setup))
    for (const key of KEYS) expect(setups).toContain(key)

    // Kill switch: the keys go back into localStorage in clear, as the app keeps them.
    const killed = await startStorage({
      rollout: createRollout({ storage, deviceId: 'device-llms', percentage: 100, killSwitch: true }),
      stores: [llmsLegacy],
      sources: browser.sources,
      backend: async () => started.backend as Backend,
    })
    expect(killed.rollback?.ok).toBe(true)
    const legacy = browser.localStorage.getItem('app-models') as string
    for (const key of KEYS) expect(legacy).toContain(key)
  })
})
