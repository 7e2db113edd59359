import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // The ESM build shares one chunk between both entries; the CommonJS testing entry carries its own copy
  // (errors are recognised by a Symbol.for brand, so two copies still agree).
  external: ['vitest', 'zustand'],
})
