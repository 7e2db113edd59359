import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // import.meta.url (for loading better-sqlite3 on demand) in the CommonJS build.
  shims: true,
  external: ['@zustand-sqlite/core', 'better-sqlite3'],
})
