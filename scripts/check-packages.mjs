// Checks every published package as npm would ship it: publint (package.json and files) and
// arethetypeswrong (types resolve for ESM and CommonJS consumers under every module resolution).
// Then checks the pending changesets: while the packages are at 0.x, no release may become a major
// one (changesets bumps peer dependents to major unless told otherwise).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
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
const statusDir = mkdtempSync(join(tmpdir(), 'zs-changesets-'))
try {
  const output = join(statusDir, 'status.json')
  execFileSync(bin('changeset'), ['status', `--output=${output}`], { stdio: ['ignore', 'pipe', 'pipe'] })
  const { releases } = JSON.parse(readFileSync(output, 'utf8'))
  const majors = releases.filter((r) => r.type === 'major' && r.oldVersion.startsWith('0.'))
  if (majors.length > 0) {
    failed = true
    console.error(`changesets: FAILED, 0.x packages would get a major release: ${majors.map((r) => r.name).join(', ')}`)
  } else {
    console.log(
      `changesets: ok (${releases.map((r) => `${r.name} ${r.oldVersion} -> ${r.newVersion}`).join(', ') || 'no releases pending'})`,
    )
  }
} catch (error) {
  failed = true
  console.error(`changesets: FAILED\n${error.stdout ?? ''}${error.stderr ?? ''}${error.message}`)
} finally {
  rmSync(statusDir, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
