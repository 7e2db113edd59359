// The package as an app installs it (its dist, built by `npm run build`), with no `worker` option: the
// backend starts dist/worker.js itself, and sqlite-wasm finds its .wasm, with nothing copied by hand.
import type * as Api from '../../../src/index'

// From dist (its types are the sources'): the path is put together so that type checking does not need a build.
const built = new URL('../../../dist/index.js', import.meta.url).href
const { createSqliteWasmBackend } = (await import(/* @vite-ignore */ built)) as typeof Api

declare global {
  interface Window {
    builtPackage?: { role: string; answer: unknown }
  }
}

const backend = await createSqliteWasmBackend({ name: `built-${Date.now().toString(36)}.db` })
const [row] = await backend.query('SELECT 6 * 7 AS answer')
window.builtPackage = { role: backend.role, answer: row?.['answer'] }
await backend.close()
