// Entry of `npm run bench`. The root tsconfig maps the workspace packages to their TypeScript
// sources (`paths`), and tsx applies that mapping: the bench would measure the sources as tsx
// transpiles them, not the built dist users install. So this entry runs the bench (bench/main.ts)
// in a child process whose tsx reads bench/tsconfig.dist.json, which has no `paths`.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const child = spawnSync(process.execPath, [...process.execArgv, join(here, 'main.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, TSX_TSCONFIG_PATH: join(here, 'tsconfig.dist.json') },
})
process.exit(child.status ?? 1)
