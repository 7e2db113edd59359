import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const run = (file: string): string =>
  execFileSync(process.execPath, ['--import', 'tsx', 'examples/basic/src/main.ts'], {
    cwd: new URL('../../../', import.meta.url),
    env: { ...process.env, EXAMPLE_DB: file },
    encoding: 'utf8',
  })

describe('the basic example', () => {
  it('stores its state in a SQLite file and finds it again on the next run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zs-example-'))
    try {
      const file = join(dir, 'example.db')
      const first = run(file)
      expect(first).toContain('First run: nothing stored yet')
      expect(first).toContain('1 row(s)')
      const second = run(file)
      expect(second).toContain('Welcome back: run #2. Found 1 conversation(s)')
      expect(second).toContain('last: "Only the rows that changed."')
      expect(second).toContain('Stored: 2 conversation(s), run count 2.')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
