import { packageConfig } from '../../tsup.config'

// The worker is an entry of its own: the backend starts it by URL (`new URL('./worker.js', import.meta.url)`),
// and apps whose bundler needs its own worker file import it as `@zustand-sqlite/backend-sqlite-wasm/worker`.
export default packageConfig({
  entry: { index: 'src/index.ts', worker: 'src/worker.ts' },
  // The CommonJS build is for tools that read types and `require` resolution; the worker URL is ESM's.
  esbuildOptions(options, { format }) {
    if (format === 'cjs') options.logOverride = { 'empty-import-meta': 'silent' }
  },
})
