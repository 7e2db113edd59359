import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLibsqlBackend } from '@zustand-sqlite/backend-libsql'

const configs: Record<string, unknown>[] = []
const statements: string[] = []

// A server's client, as far as opening goes: it records what it is asked, and holds an empty database.
vi.mock('@libsql/client', () => ({
  createClient: (config: Record<string, unknown>) => {
    configs.push(config)
    return {
      execute: async ({ sql }: { sql: string }) => {
        statements.push(sql)
        return { columns: ['n'], rows: [[0n]], rowsAffected: 0 }
      },
      executeMultiple: async (sql: string) => {
        statements.push(sql)
      },
      transaction: async () => {
        throw new Error('not used when opening')
      },
      close: () => undefined,
    }
  },
}))

afterEach(() => {
  configs.length = 0
  statements.length = 0
})

describe('createLibsqlBackend on a remote URL', () => {
  it('passes the URL and token to createClient unchanged, and sets none of a local file’s pragmas', async () => {
    const urls = ['libsql://app-user-1.example.turso.io', 'https://sqld.internal:8080', 'wss://db.example.com']
    for (const url of urls) {
      const backend = await createLibsqlBackend({ url, authToken: 'secret' })
      await backend.close()
    }
    expect(configs).toEqual(urls.map((url) => ({ url, authToken: 'secret', intMode: 'bigint' })))
    expect(new Set(statements)).toEqual(new Set(['SELECT count(*) FROM sqlite_schema', 'PRAGMA application_id']))
  })
})
