import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import initSqlJs from 'sql.js'
import { afterEach, describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { persistSQLite } from '@zustand-sqlite/core'
import { createSqlJsBackend, fileStorage } from '@zustand-sqlite/backend-sqljs'
import type { SqlJsBackend } from '@zustand-sqlite/backend-sqljs'

const sqlJs = initSqlJs()
const repoRoot = new URL('../../../', import.meta.url)
const writerScript = 'packages/backend-sqljs/test/fixtures/fileImageWriter.ts'

const dirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'zs-sqljs-file-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

type Counter = { n: number }
const counter = (backend: SqlJsBackend, name: string) =>
  createStore<Counter>()(persistSQLite(() => ({ n: 0 }), { name, backend, onError: () => undefined }))
const open = (file: string) =>
  createSqlJsBackend({ sqlJs, storage: { file }, flushIntervalMs: 60_000, onError: () => undefined })

/** What is in the file now, for the given stores. */
async function storedValues(file: string, names: readonly string[]): Promise<Record<string, number>> {
  const backend = await open(file)
  const values = Object.fromEntries(names.map((name) => [name, counter(backend, name).getState().n]))
  await backend.close()
  return values
}

/** Files beside the image that this library may leave: temporary images and lock files. */
const leftovers = (dir: string): string[] => readdirSync(dir).filter((f) => /\.(tmp|lock|stale)$/.test(f))

function spawnWriter(...args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', writerScript, ...args], { cwd: repoRoot })
}

/** Resolves once `child` has exited, also when it exited before this was called. */
function exited(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Resolves with the next line a child prints (rejects if it exits first). */
function nextLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    let stderr = ''
    const onData = (data: Buffer): void => {
      buffered += data.toString()
      const end = buffered.indexOf('\n')
      if (end < 0) return
      child.stdout.off('data', onData)
      child.off('exit', onExit)
      resolve(buffered.slice(0, end))
    }
    const onError = (data: Buffer): void => void (stderr += data.toString())
    const onExit = (code: number | null): void => reject(new Error(`writer exited ${code}: ${stderr}`))
    child.stdout.on('data', onData)
    child.stderr.on('data', onError)
    child.once('exit', onExit)
  })
}

describe('sql.js file image: two writers', () => {
  it('keeps every acknowledged write when two backends in one process flush at once (30 trials)', async () => {
    for (let trial = 0; trial < 30; trial++) {
      const file = join(tempDir(), 'image.sqlite')
      const first = await open(file)
      const second = await open(file)
      const a = counter(first, 'a')
      const b = counter(second, 'b')
      // Interleaved writes, then simultaneous flushes: only one copy can be stored over the image both loaded.
      a.setState({ n: trial + 1 })
      b.setState({ n: trial + 101 })
      a.setState({ n: trial + 2 })
      b.setState({ n: trial + 102 })
      const [flushA, flushB] = await Promise.allSettled([a.persist.flush(), b.persist.flush()])
      const stored = await storedValues(file, ['a', 'b'])
      expect(flushA.status === 'fulfilled' || flushB.status === 'fulfilled').toBe(true)
      for (const [flush, name, value] of [
        [flushA, 'a', trial + 2],
        [flushB, 'b', trial + 102],
      ] as const) {
        if (flush.status === 'fulfilled') expect(stored[name], `trial ${trial}: store ${name}`).toBe(value)
        else expect(flush.reason).toMatchObject({ code: 'CONCURRENT_MODIFICATION' })
      }
      // The copy that lost cannot store its image: closing it rejects like its flush.
      await Promise.allSettled([first.close(), second.close()])
    }
  })

  it('reports a lost race of a background export to onError, never storing over the winner', async () => {
    const file = join(tempDir(), 'image.sqlite')
    const errors: unknown[] = []
    const background = await createSqlJsBackend({
      sqlJs,
      storage: { file },
      flushIntervalMs: 0,
      onError: (error) => errors.push(error),
    })
    const other = await open(file)
    const a = counter(background, 'a')
    const b = counter(other, 'b')
    b.setState({ n: 2 })
    a.setState({ n: 1 })
    await b.persist.flush()
    await expect.poll(() => errors.length).toBe(1)
    expect(errors[0]).toMatchObject({ code: 'CONCURRENT_MODIFICATION' })
    expect(await storedValues(file, ['a', 'b'])).toEqual({ a: 0, b: 2 })
  })

  it('gives each stored image a later modification time than the one it replaces, so no token comes back', async () => {
    // The file system reuses a freed inode at once and keeps times at a coarse tick: two writes in one tick
    // could otherwise give an image the token of an earlier one, and a writer still holding that token
    // would store over it.
    const file = join(tempDir(), 'image.sqlite')
    const storage = fileStorage(file)
    const empty = await createSqlJsBackend({ sqlJs, storage: 'memory' })
    const image = empty.database.export()
    await empty.close()
    let token: string | undefined
    let previous = -1n
    const tokens = new Set<string>()
    for (let i = 0; i < 500; i++) {
      token = await storage.write(image, token)
      const { mtimeNs } = statSync(file, { bigint: true })
      expect(mtimeNs).toBeGreaterThan(previous)
      previous = mtimeNs
      tokens.add(token)
    }
    expect(tokens.size).toBe(500)
  })

  it('keeps every acknowledged write when two processes flush at once', async () => {
    for (let trial = 0; trial < 6; trial++) {
      const file = join(tempDir(), 'image.sqlite')
      // Both processes load the same stored image, so both have a token to compare with.
      const seed = await open(file)
      await Promise.all(['left', 'right'].map((name) => counter(seed, name).persist.flush()))
      await seed.close()
      expect(existsSync(file)).toBe(true)
      const left = spawnWriter('race', file, 'left', String(trial + 1))
      const right = spawnWriter('race', file, 'right', String(trial + 101))
      expect(await Promise.all([nextLine(left), nextLine(right)])).toEqual(['ready', 'ready'])
      const results = Promise.all([nextLine(left), nextLine(right)])
      left.stdin.write('go\n')
      right.stdin.write('go\n')
      const [leftResult, rightResult] = await results
      await Promise.all([left, right].map(exited))
      const stored = await storedValues(file, ['left', 'right'])
      expect([leftResult, rightResult]).toContain('ok')
      for (const [result, name, value] of [
        [leftResult, 'left', trial + 1],
        [rightResult, 'right', trial + 101],
      ] as const) {
        if (result === 'ok') expect(stored[name], `trial ${trial}: ${name}`).toBe(value)
        else expect(result).toBe('error CONCURRENT_MODIFICATION')
      }
      expect(leftovers(join(file, '..'))).toEqual([])
    }
  }, 300_000)
})

describe('sql.js file image: what a killed writer leaves', () => {
  it('removes a temporary image left by a killed writer when the file is opened, keeping the image', async () => {
    const dir = tempDir()
    const file = join(dir, 'image.sqlite')
    const seed = await open(file)
    const seeded = counter(seed, 'counter')
    seeded.setState({ n: 5 })
    await seeded.persist.flush()
    await seed.close()
    // What a writer killed between writing its temporary image and the rename leaves: a full-size copy
    // named after the process, and its lock (the process is gone).
    const stale = `${file}.${2 ** 22 + 17}.k3x9q2.tmp`
    copyFileSync(file, stale)
    writeFileSync(
      `${file}.lock`,
      JSON.stringify({ pid: await deadPid(), hostname: hostname(), id: 'dead', time: Date.now() }),
    )
    // Files that only look alike are not ours to delete.
    const unrelated = ['image.sqlite.backup.tmp', 'other.sqlite.123.abc.tmp', 'image.sqlite.tmp']
    for (const name of unrelated) writeFileSync(join(dir, name), 'keep')

    const backend = await open(file)
    expect(counter(backend, 'counter').getState().n).toBe(5)
    expect(existsSync(stale)).toBe(false)
    expect(existsSync(`${file}.lock`)).toBe(false)
    for (const name of unrelated) expect(readFileSync(join(dir, name), 'utf8')).toBe('keep')
    await backend.close()
  })

  it('waits for the lock of a live writer, and breaks one that is stale', async () => {
    const file = join(tempDir(), 'image.sqlite')
    const seed = await open(file)
    const seeded = counter(seed, 'counter')
    seeded.setState({ n: 3 })
    await seeded.persist.flush()
    await seed.close()
    const lock = `${file}.lock`
    const holder = (pid: number, id = 'other') => JSON.stringify({ pid, hostname: hostname(), id, time: Date.now() })

    // A live process (our parent) holds the lock: opening waits until it lets go.
    writeFileSync(lock, holder(process.ppid))
    let opened = false
    const opening = open(file).then((backend) => {
      opened = true
      return backend
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(opened).toBe(false)
    rmSync(lock)
    await (await opening).close()

    // A lock nobody touched for ten minutes is broken, whoever its holder.
    writeFileSync(lock, holder(process.ppid))
    const longAgo = new Date(Date.now() - 600_000)
    utimesSync(lock, longAgo, longAgo)
    await (await open(file)).close()
    expect(existsSync(lock)).toBe(false)

    // Our own pid on a lock this process does not hold: left by an earlier process that had the same pid.
    writeFileSync(lock, holder(process.pid, 'before-restart'))
    const backend = await open(file)
    expect(counter(backend, 'counter').getState().n).toBe(3)
    expect(existsSync(lock)).toBe(false)
    await backend.close()
  })

  it('leaves the temporary image of a writer that is writing right now', async () => {
    const file = join(tempDir(), 'image.sqlite')
    const writer = await open(file)
    const store = createStore<{ blob: string }>()(
      persistSQLite(() => ({ blob: '' }), { name: 'big', backend: writer, onError: () => undefined }),
    )
    store.setState({ blob: 'y'.repeat(8_000_000) })
    const flushing = store.persist.flush()
    const opening = open(file)
    await expect(flushing).resolves.toBeUndefined()
    await (await opening).close()
    const reopened = await open(file)
    const big = createStore<{ blob: string }>()(persistSQLite(() => ({ blob: '' }), { name: 'big', backend: reopened }))
    expect(big.getState().blob.length).toBe(8_000_000)
  })

  it('opens with every acknowledged write and no temporary image after a writer is killed mid-export', async () => {
    const dir = tempDir()
    const file = join(dir, 'image.sqlite')
    let killedMidWrite = 0
    for (let round = 0; round < 4; round++) {
      const acknowledged = await new Promise<number>((resolve, reject) => {
        const child = spawnWriter('loop', file)
        let last = 0
        let stderr = ''
        let polling: ReturnType<typeof setInterval> | undefined
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
        child.stdout.on('data', (d: Buffer) => {
          const lines = d.toString().trim().split('\n')
          last = Number(lines[lines.length - 1])
          // Once a few images are stored, kill the writer as soon as its next temporary image appears.
          if (last >= 2 && polling === undefined) {
            polling = setInterval(() => {
              if (readdirSync(dir).some((f) => f.endsWith('.tmp'))) child.kill('SIGKILL')
            }, 1)
          }
        })
        child.on('exit', (code, signal) => {
          clearInterval(polling)
          if (signal === 'SIGKILL') resolve(last)
          else reject(new Error(`writer exited ${code}: ${stderr}`))
        })
      })
      if (leftovers(dir).some((f) => f.endsWith('.tmp'))) killedMidWrite++
      const backend = await open(file)
      const store = createStore<{ n: number; blob: string }>()(
        persistSQLite(() => ({ n: 0, blob: '' }), { name: 'loop', backend }),
      )
      expect(store.getState().n).toBeGreaterThanOrEqual(acknowledged)
      expect(leftovers(dir)).toEqual([])
      await backend.close()
    }
    // The rounds did kill writers inside a write, the case this test is about.
    expect(killedMidWrite).toBeGreaterThan(0)
  }, 300_000)
})

describe('sql.js file image: invalid paths', () => {
  it('rejects a file option that cannot be a file with INVALID_OPTIONS naming the path', async () => {
    const dir = tempDir()
    const aFile = join(dir, 'plain.txt')
    writeFileSync(aFile, 'text')
    mkdirSync(join(dir, 'folder'))
    const cases: [string, string | undefined][] = [
      [join(dir, 'folder'), 'EISDIR'],
      [join(dir, 'missing', 'image.sqlite'), 'ENOENT'],
      [join(aFile, 'image.sqlite'), 'ENOTDIR'],
      ['', undefined],
    ]
    for (const [file, cause] of cases) {
      const error = await createSqlJsBackend({ sqlJs, storage: { file } }).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message: string; cause?: { code?: string } },
      )
      expect(error, file).toMatchObject({ code: 'INVALID_OPTIONS' })
      expect(error?.message).toContain(JSON.stringify(file))
      if (cause !== undefined) expect(error?.cause?.code).toBe(cause)
    }
    expect(readdirSync(dir).sort()).toEqual(['folder', 'plain.txt'])
  })

  it('still refuses a file that is not a database, leaving it and nothing else behind', async () => {
    const dir = tempDir()
    const file = join(dir, 'image.sqlite')
    writeFileSync(file, 'not a database'.repeat(100))
    const before = readFileSync(file)
    await expect(open(file)).rejects.toMatchObject({ code: 'CORRUPT_DATABASE' })
    expect(readFileSync(file).equals(before)).toBe(true)
    expect(readdirSync(dir)).toEqual(['image.sqlite'])
  })
})

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''])
  await new Promise((resolve) => child.once('exit', resolve))
  return child.pid as number
}
