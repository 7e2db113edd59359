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
      expect(first).toContain('Flag sqlite-migration, read before any store exists: off')
      expect(first).toContain('Imported the legacy localStorage stores')
      expect(first).toContain('Device id: Kq7_x2m9z4')
      expect(first).toContain('stale zenMode kept: "cleaner"')
      expect(first).toContain('Runs counted in the UI store: 1')
      const second = run(file)
      expect(second).toContain('Welcome back: run #2. Found 1 conversation(s)')
      expect(second).toContain('last: "Only the rows that changed."')
      expect(second).toContain('Stored: 2 conversation(s), run count 2.')
      expect(second).toContain('Flag sqlite-migration, read before any store exists: on')
      expect(second).not.toContain('Imported the legacy')
      expect(second).toContain('Device id: Kq7_x2m9z4')
      expect(second).toContain('Runs counted in the UI store: 2')
      expect(second).toContain('Settings commits of this run: 1 row(s): {"ui_preferences":1}')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
