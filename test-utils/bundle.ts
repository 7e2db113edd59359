import { fileURLToPath } from 'node:url'
import { build } from 'vite'
import type { Logger, Rollup } from 'vite'

/**
 * Bundles the module at `entry` (a file URL) for a browser, as an app's Vite build would, with `external` left
 * out (what the app bundles anyway: only the package's own code is under test). Returns what Vite and Rollup
 * warned about, and the code.
 */
export async function bundleForBrowser(
  entry: URL,
  external: readonly (string | RegExp)[],
): Promise<{ warnings: string[]; code: string }> {
  const warnings: string[] = []
  const logger: Logger = {
    info: () => undefined,
    warn: (message) => warnings.push(message),
    warnOnce: (message) => warnings.push(message),
    error: (message) => warnings.push(message),
    clearScreen: () => undefined,
    hasErrorLogged: () => false,
    hasWarned: false,
  }
  const output = (await build({
    root: fileURLToPath(new URL('.', entry)),
    configFile: false,
    logLevel: 'warn',
    customLogger: logger,
    build: {
      write: false,
      lib: { entry: fileURLToPath(entry), formats: ['es'], fileName: 'bundle' },
      rollupOptions: { external: [...external], onwarn: (warning) => warnings.push(warning.message) },
    },
  })) as Rollup.RollupOutput[]
  const code = output
    .flatMap((o) => o.output)
    .map((chunk) => (chunk.type === 'chunk' ? chunk.code : ''))
    .join('\n')
  return { warnings, code }
}
