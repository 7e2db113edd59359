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
  it('stores the app stores in a SQLite file, imports the legacy data once, and finds it all on the next runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zs-example-'))
    try {
      const file = join(dir, 'example.db')
      const first = run(file)
      expect(first).toContain('Flag sqlite-migration, read before any store exists: off')
      expect(first).toContain('Imported the legacy localStorage stores')
      expect(first).toContain('Device id: Kq7_x2m9z4')
      expect(first).toContain('stale zenMode kept: "cleaner"')
      expect(first).toContain('Runs counted in the UI store: 1')
      expect(first).toContain('Imported 1 chat(s) from IndexedDB (version 3, 2 text message(s) turned into fragments)')
      expect(first).toContain('dropped dangling folder link(s): deleted-long-ago')
      expect(first).toContain('Run 1: streamed "One fragment row per token."; the Runs folder holds 1 conversation(s).')
      // Every streamed token is one commit of one fragment row.
      expect(first.match(/1 row\(s\) in [\d.]+ ms: \{"fragments":1\}/g)).toHaveLength(5)
      expect(first).toContain('dangling live file(s) dropped: lf-4Qx9, lf-8Zp2')
      expect(first).toMatch(/Wrote \/notes\/run-1\.md \(\d+ bytes, text\/markdown\); read back: "# Run 1"/)

      const second = run(file)
      expect(second).toContain('Flag sqlite-migration, read before any store exists: on')
      expect(second).not.toContain('Imported the legacy')
      expect(second).not.toContain('from IndexedDB')
      expect(second).toContain('Device id: Kq7_x2m9z4')
      expect(second).toContain('Runs counted in the UI store: 2')
      expect(second).toContain('Settings commits of this run: 1 row(s): {"ui_preferences":1}')
      expect(second).toContain(
        'Found 2 stored conversation(s); newest: "Run 1" (2 messages), "Keeping chats safe" (2 messages)',
      )

      expect(second).not.toContain('legacy file assignments')
      expect(second).toContain('paths now /notes/run-1.md, /notes/run-2.md')

      run(file)
      const fourth = run(file)
      // Renaming the folder moves its four files in one transaction; the deleted run lost its assignment.
      expect(fourth).toContain(
        'Renamed /run-notes to /notes: 1 commit, {"workspace_folders":1,"workspace_files":4,"workspace_history":1}',
      )
      expect(fourth).toContain('Workspace: 4 file(s); conversations with files: 3; history: 9 entries')
      // The oldest run is deleted: out of the store and, through the cascade, out of its folder.
      expect(fourth).toContain(
        'Run 4: streamed "One fragment row per token."; the Runs folder holds 3 conversation(s).',
      )
      expect(run(file)).toContain(
        'Found 4 stored conversation(s); newest: "Run 4" (2 messages), "Run 3" (2 messages), "Run 2" (2 messages)',
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
