import type { Backend, HydrationSource } from '@zustand-sqlite/core'
import { whenHydrated } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { tempDatabase } from './backends'

/** Names of `Object.prototype`'s members: ids and keys that a `{}` used as a map mistakes for its own. */
export const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const

/**
 * A runner of `body` on one better-sqlite3 database file: `open()` makes a store with `create` on a new
 * connection and waits for its hydration, as a restarted app would; `connect()` opens another connection
 * (for query functions). Everything is closed and the file removed after.
 */
export function withStoreDatabase<T extends HydrationSource>(
  create: (options: { backend: Backend }) => T,
): (body: (open: () => Promise<T>, connect: () => Backend) => Promise<void>) => Promise<void> {
  return async (body) => {
    const db = tempDatabase()
    const backends: Backend[] = []
    const connect = (): Backend => {
      const backend = createBetterSqlite3Backend({ filename: db.file })
      backends.push(backend)
      return backend
    }
    try {
      await body(async () => {
        const store = create({ backend: connect() })
        await whenHydrated(store)
        return store
      }, connect)
    } finally {
      for (const backend of backends) await backend.close()
      db.remove()
    }
  }
}
