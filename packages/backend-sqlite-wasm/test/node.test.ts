import { expect, it } from 'vitest'
import { isZustandSqliteError } from '@zustand-sqlite/core'
import { createSqliteWasmBackend } from '@zustand-sqlite/backend-sqlite-wasm'

it('rejects with UNSUPPORTED_ENVIRONMENT outside a browser (server rendering, Node)', async () => {
  const error = await createSqliteWasmBackend().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isZustandSqliteError(error, 'UNSUPPORTED_ENVIRONMENT')).toBe(true)
})

it('refuses a name with a slash and an absolute directory with INVALID_OPTIONS', async () => {
  // Checked before anything starts: a Worker that must never be made.
  const worker = (): Worker => {
    throw new Error('no worker expected')
  }
  const globals = globalThis as { Worker?: unknown }
  const saved = globals.Worker
  globals.Worker = function Worker() {}
  try {
    for (const options of [{ name: 'a/b.db' }, { name: '' }, { directory: '/abs' }]) {
      const error = await createSqliteWasmBackend({ ...options, worker }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isZustandSqliteError(error, 'INVALID_OPTIONS')).toBe(true)
    }
  } finally {
    globals.Worker = saved
  }
})
