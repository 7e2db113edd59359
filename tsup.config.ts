import { defineConfig } from 'tsup'
import type { Options } from 'tsup'

/**
 * The build every published package shares: ESM and CommonJS with types, from `src/index.ts`. Dependencies
 * and peer dependencies (the core, zustand, the drivers) stay external, as tsup leaves every package listed
 * in package.json. tsup finds this file from a package's directory when the package has no config of its
 * own; a package with more entries (core's `testing`) has one that calls `packageConfig`.
 */
export function packageConfig(options: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    ...options,
  })
}

export default packageConfig()
