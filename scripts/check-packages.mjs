// Checks every published package as npm would ship it: publint (package.json and files) and
// arethetypeswrong (types resolve for ESM and CommonJS consumers under every module resolution).
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const bin = (name) => join('node_modules', '.bin', name)
const packages = readdirSync('packages')
  .map((dir) => join('packages', dir))
  .filter((dir) => !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private)

let failed = false
for (const dir of packages) {
  for (const [tool, args] of [
    ['publint', [dir, '--strict']],
    ['attw', ['--pack', dir, '--profile', 'node16']],
  ]) {
    try {
      const output = execFileSync(bin(tool), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      console.log(`${tool} ${dir}: ok`)
      if (process.env.VERBOSE) console.log(output)
    } catch (error) {
      failed = true
      console.error(`${tool} ${dir}: FAILED\n${error.stdout ?? ''}${error.stderr ?? ''}`)
    }
  }
}
process.exit(failed ? 1 : 0)
