import { expect, it } from 'vitest'
import { isZustandSqliteError } from '@zustand-sqlite/core'
import { createSqliteWasmBackend } from '@zustand-sqlite/backend-sqlite-wasm'

it('rejects with UNSUPPORTED_ENVIRONMENT where OPFS sync access handles are missing, naming them', async () => {
  const error = await createSqliteWasmBackend({
    name: 'never-opened.db',
    worker: () => new Worker(new URL('./noOpfsWorker.ts', import.meta.url), { type: 'module' }),
  }).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isZustandSqliteError(error, 'UNSUPPORTED_ENVIRONMENT')).toBe(true)
  expect((error as Error).message).toContain('createSyncAccessHandle')
})
