import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // The testing entry imports the package itself, so both entries share one copy of the core.
  external: ['@zustand-sqlite/core', 'vitest', 'zustand'],
})
