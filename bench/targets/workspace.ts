// W1: the workspace store (@zustand-sqlite/store-workspace). Three parts: hydrating a workspace of 10k
// files / 500 MB of content against a control holding the same files with no content, in fresh child
// processes (time and memory: content must not be loaded); a 50 MB file written and read back, binary
// and text, byte for byte; and folder operations (rename, recursive delete) on the 10k-file workspace,
// until committed.
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import type { Backend, CommitInfo } from '@zustand-sqlite/core'
import {
  createWorkspaceStore,
  WORKSPACE_FILE_CONTENT_TABLE,
  WORKSPACE_FILES_TABLE,
} from '@zustand-sqlite/store-workspace'
import type { FileContent, WorkspaceStoreApi } from '@zustand-sqlite/store-workspace'
import type { BenchContext } from '../context'
import { createRandom, makeText } from '../dataset'
import { collectGarbage, now, sleep } from '../measure'
import { limitCheck } from '../report'
import type { Check, Measurement, TargetResult } from '../report'
import { formatBytes, formatKiB, formatMs, formatRatio, median, sizeLabel } from '../stats'
// Types only: importing the child's code would run it here.
import type { WorkspaceChildReport } from '../workspaceHydrateChild'

/** The clock of every store W1 writes with: both workspaces get the same times. */
const EPOCH = 1_700_000_000_000
/** Content of the workspace's files is cut from pools this large (text and bytes), at offsets by file. */
const POOL_BYTES = 1 << 20
/** The limit the checks hold content to, against the control (time and memory). */
const LIMIT = 1.5

type WorkspaceKind = 'content' | 'control'

interface WorkspaceDb {
  kind: WorkspaceKind
  file: string
  files: number
  folders: number
  /** Sum of the files' sizeBytes: files x fileBytes with content, 0 for the control. */
  contentBytes: number
  buildMs: number
  flushes: number
  /** Trim errors reported through onError while building (the history trim runs after commits). */
  errors: string[]
}

/** Decimal units, as the target is stated (500 MB = 500,000,000 bytes; 50 kB = 50,000 bytes). */
function formatMB(bytes: number): string {
  if (bytes === 0) return '0 B'
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(bytes % 1e3 === 0 ? 0 : 1)} kB`
  return `${(bytes / 1e6).toFixed(bytes % 1e6 === 0 ? 0 : 1)} MB`
}
const bytesLabel = (bytes: number): string => `${formatMB(bytes)} (${formatBytes(bytes)})`
const pad = (n: number, width: number): string => String(n).padStart(width, '0')

/**
 * Bytes this process read and wrote through system calls so far (rchar and wchar of /proc/self/io, Linux):
 * around an operation, what SQLite read from and wrote to its files. Undefined elsewhere.
 */
function ioBytes(): { read: number; written: number } | undefined {
  try {
    const text = readFileSync('/proc/self/io', 'utf8')
    const read = /^rchar:\s+(\d+)/m.exec(text)
    const written = /^wchar:\s+(\d+)/m.exec(text)
    return read === null || written === null ? undefined : { read: Number(read[1]), written: Number(written[1]) }
  } catch {
    return undefined
  }
}

const ioSince = (before: ReturnType<typeof ioBytes>): { read: number; written: number } => {
  const after = ioBytes()
  return before === undefined || after === undefined
    ? { read: Number.NaN, written: Number.NaN }
    : { read: after.read - before.read, written: after.written - before.written }
}

/** Seeded bytes (xorshift32): fast enough for 50 MB, the same on every run. */
function seededBytes(length: number, seed: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(length / 4))
  let x = seed >>> 0 || 1
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x >>> 0
  }
  return new Uint8Array(words.buffer, 0, length)
}

/**
 * A text of exactly `bytes` UTF-8 bytes with 1-, 2-, 3- and 4-byte characters, as one flat string (made
 * from a buffer, not by concatenation).
 */
function utf8Text(bytes: number): string {
  const line = Buffer.from('Workspace file — naïve café, déjà vu, 数据 ✓ 🚀 0123456789 the quick brown fox\n', 'utf8')
  const buffer = Buffer.alloc(bytes, 'x')
  const whole = Math.floor(bytes / line.length) * line.length
  if (whole > 0) buffer.fill(line, 0, whole)
  const text = buffer.toString('utf8')
  if (Buffer.byteLength(text, 'utf8') !== bytes) throw new Error(`W1: text of ${bytes} bytes came out wrong`)
  return text
}

function sameContent(expected: FileContent, actual: FileContent): boolean {
  if (typeof expected === 'string') return typeof actual === 'string' && actual === expected
  if (typeof actual === 'string') return false
  const a = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)
  const b = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength)
  return a.equals(b)
}

/** The tree: `dir-<a>` at the root, each with `sub-1`..`sub-<n>`; paths in creation order. */
function folderPaths(topFolders: number, subfoldersPerTop: number): string[] {
  const paths: string[] = []
  for (let a = 0; a < topFolders; a++) {
    paths.push(`/dir-${a}`)
    for (let b = 1; b <= subfoldersPerTop; b++) paths.push(`/dir-${a}/sub-${b}`)
  }
  return paths
}

/** File `i`: even ones text (`.txt`, ASCII), odd ones binary (`.bin`), cut from the pools at an offset of their own. */
interface ContentPools {
  text: string
  bytes: Uint8Array
}

function makePools(seed: number): ContentPools {
  // makeText concatenates: turned into one flat string before it is sliced 10k times.
  const text = Buffer.from(makeText(createRandom(seed), POOL_BYTES), 'utf8').toString('utf8')
  return { text, bytes: seededBytes(POOL_BYTES, seed ^ 0x9e3779b9) }
}

function fileContent(pools: ContentPools, i: number, bytes: number): FileContent {
  const text = i % 2 === 0
  if (bytes === 0) return text ? '' : new Uint8Array(0)
  const offset = (i * 7919) % (POOL_BYTES - bytes)
  return text ? pools.text.slice(offset, offset + bytes) : pools.bytes.slice(offset, offset + bytes)
}

const fileId = (i: number): string => `w1-file-${pad(i, 6)}`
const fileName = (i: number): string => `file-${pad(i, 5)}.${i % 2 === 0 ? 'txt' : 'bin'}`

/** Removes a database file and its WAL and shared-memory files. */
function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true })
}

/**
 * Flushes, then closes. The store trims its history after a commit in the background (not awaited by
 * flush()): let that finish first, or it runs on a closed backend.
 */
async function closeStore(store: WorkspaceStoreApi, backend: Backend): Promise<void> {
  await store.persist.flush()
  await sleep(20)
  await backend.close()
}

/**
 * Writes a workspace through the store itself: the folders, then `files` files spread evenly over them,
 * `batch` createFile calls per flush (one transaction each). The control is the same files, ids, names,
 * paths and times with empty content.
 */
async function buildWorkspace(
  ctx: BenchContext,
  kind: WorkspaceKind,
  file: string,
  pools: ContentPools,
): Promise<WorkspaceDb> {
  const o = ctx.options.workspace
  const bytes = kind === 'content' ? o.fileBytes : 0
  removeDatabase(file)
  const errors: string[] = []
  const backend = createBetterSqlite3Backend({ filename: file, synchronous: ctx.options.synchronous })
  let clock = EPOCH
  const store = createWorkspaceStore({ backend, now: () => clock++, onError: (e) => errors.push(String(e)) })
  const started = now()
  const { createFolder, createFile } = store.getState()
  const ids = new Map<string, string>()
  for (const path of folderPaths(o.topFolders, o.subfoldersPerTop)) {
    const slash = path.lastIndexOf('/')
    ids.set(path, createFolder(path.slice(slash + 1), slash === 0 ? null : ids.get(path.slice(0, slash))))
  }
  await store.persist.flush()
  const folderIds = [...ids.values()]
  let flushes = 1
  for (let i = 0; i < o.files; i++) {
    createFile({
      id: fileId(i),
      name: fileName(i),
      folderId: folderIds[i % folderIds.length] as string,
      content: fileContent(pools, i, bytes),
    })
    if ((i + 1) % o.batch === 0 || i === o.files - 1) {
      await store.persist.flush()
      flushes++
      if ((i + 1) % (o.batch * 4) === 0) ctx.progress(`W1: ${kind}: ${i + 1}/${o.files} files written`)
    }
  }
  const buildMs = now() - started
  await closeStore(store, backend)
  collectGarbage()
  return {
    kind,
    file,
    files: o.files,
    folders: folderIds.length,
    contentBytes: o.files * bytes,
    buildMs,
    flushes,
    errors,
  }
}

interface StoredFacts {
  databaseFile: number
  walFile: number
  rows: number
  sizeBytes: number
  storedBytes: number
  /** Pages of the workspace_files table (dbstat): leaf pages are what a scan of the metadata reads. */
  pages: Record<string, { pages: number; bytes: number }>
  spotChecks: boolean
}

/** What the file holds, read through a read-only connection after the store closed it. */
function inspect(db: WorkspaceDb, pools: ContentPools, fileBytes: number): StoredFacts {
  const size = (path: string): number => {
    try {
      return statSync(path).size
    } catch {
      return 0
    }
  }
  const raw = new Database(db.file, { readonly: true })
  try {
    const totals = raw
      .prepare(
        `SELECT count(*) AS n, sum(f.size_bytes) AS meta,
           sum(coalesce(octet_length(c.content), 0) + coalesce(length(c.content_binary), 0)) AS stored
         FROM ${WORKSPACE_FILES_TABLE} f LEFT JOIN ${WORKSPACE_FILE_CONTENT_TABLE} c ON c.id = f.id`,
      )
      .get() as { n: number; meta: number | null; stored: number | null }
    const pages: StoredFacts['pages'] = {}
    try {
      const rows = raw
        .prepare(
          `SELECT pagetype, count(*) AS pages, sum(pgsize) AS bytes FROM dbstat WHERE name = ? GROUP BY pagetype`,
        )
        .all(WORKSPACE_FILES_TABLE) as { pagetype: string; pages: number; bytes: number }[]
      for (const r of rows) pages[r.pagetype] = { pages: r.pages, bytes: r.bytes }
    } catch {
      // dbstat not compiled in: no page counts.
    }
    // Two files read back as the store wrote them (first and last).
    const read = raw.prepare(
      `SELECT f.encoding, c.content, c.content_binary FROM ${WORKSPACE_FILES_TABLE} f ` +
        `LEFT JOIN ${WORKSPACE_FILE_CONTENT_TABLE} c ON c.id = f.id WHERE f.id = ?`,
    )
    const spotChecks = [0, db.files - 1].every((i) => {
      const row = read.get(fileId(i)) as { encoding: string; content: string | null; content_binary: Buffer | null }
      const expected = fileContent(pools, i, db.contentBytes === 0 ? 0 : fileBytes)
      const actual: FileContent =
        row.encoding === 'binary' ? (row.content_binary ?? new Uint8Array(0)) : (row.content ?? '')
      return sameContent(expected, actual)
    })
    return {
      databaseFile: size(db.file),
      walFile: size(`${db.file}-wal`),
      rows: totals.n,
      sizeBytes: totals.meta ?? 0,
      storedBytes: totals.stored ?? 0,
      pages,
      spotChecks,
    }
  } finally {
    raw.close()
  }
}

/** Runs one hydration in a fresh node process and returns what it reports. */
function runChild(ctx: BenchContext, db: WorkspaceDb): WorkspaceChildReport {
  const child = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      join(ctx.repoRoot, 'bench', 'workspaceHydrateChild.ts'),
      db.kind,
      db.file,
      String(db.files),
      String(db.folders),
      String(db.contentBytes),
      ctx.options.synchronous,
    ],
    { cwd: ctx.repoRoot, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  )
  const line = child.stdout.trim().split('\n').pop() ?? ''
  if (child.status !== 0 || !line.startsWith('{')) {
    throw new Error(`W1 hydration child ${db.kind} failed (status ${String(child.status)}): ${child.stderr}`)
  }
  return JSON.parse(line) as WorkspaceChildReport
}

/** Part 1: hydration of the two workspaces in fresh processes, interleaved. */
function measureHydration(
  ctx: BenchContext,
  dbs: readonly [WorkspaceDb, WorkspaceDb],
  stored: Record<WorkspaceKind, StoredFacts>,
  measurements: Measurement[],
  checks: Check[],
): string[] {
  const runs = ctx.options.workspace.hydrationRuns
  const reports = new Map<WorkspaceKind, WorkspaceChildReport[]>([
    ['content', []],
    ['control', []],
  ])
  for (let run = 0; run < runs; run++) {
    ctx.progress(`W1: hydration run ${run + 1}/${runs}`)
    for (let turn = 0; turn < dbs.length; turn++) {
      const db = dbs[(run + turn) % dbs.length] as WorkspaceDb
      reports.get(db.kind)?.push(runChild(ctx, db))
    }
  }
  const of = (kind: WorkspaceKind, value: (r: WorkspaceChildReport) => number): number =>
    median((reports.get(kind) ?? []).map(value))
  const all = (kind: WorkspaceKind, value: (r: WorkspaceChildReport) => number): number[] =>
    (reports.get(kind) ?? []).map(value)
  const hydrate = (r: WorkspaceChildReport): number => r.hydrateMs
  const rssDelta = (r: WorkspaceChildReport): number => r.rssRetainedKiB - r.rssBeforeKiB
  const heapDelta = (r: WorkspaceChildReport): number => r.heapRetainedKiB - r.heapBeforeKiB
  const files = sizeLabel(dbs[0].files)
  const contender = (db: WorkspaceDb): string =>
    db.kind === 'content' ? `LIB content (${formatMB(db.contentBytes)})` : 'LIB control (0 B)'
  const figures: {
    size: string
    unit: Measurement['unit']
    value: (r: WorkspaceChildReport) => number
    format: (v: number) => string
    label: string
  }[] = [
    { size: `${files} files: hydrate`, unit: 'ms', value: hydrate, format: formatMs, label: 'time content/control' },
    {
      size: `${files} files: RSS delta`,
      unit: 'KiB',
      value: rssDelta,
      format: formatKiB,
      label: 'RSS content/control',
    },
    {
      size: `${files} files: heap delta`,
      unit: 'KiB',
      value: heapDelta,
      format: formatKiB,
      label: 'heap content/control',
    },
    // Evidence, no check: what the process read from the database file while opening and hydrating.
    {
      size: `${files} files: read from file`,
      unit: 'KiB',
      value: (r) => r.readBytes / 1024,
      format: formatKiB,
      label: '',
    },
  ]
  for (const figure of figures) {
    for (const db of dbs) {
      const values = all(db.kind, figure.value)
      measurements.push({
        contender: contender(db),
        size: figure.size,
        unit: figure.unit,
        median: median(values),
        p90: [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(0.9 * values.length) - 1)] as number,
        samples: values.length,
        extra: {
          runs: values,
          ...(figure.unit === 'ms'
            ? {
                openMs: all(db.kind, (r) => r.openMs),
                hydratedOnReturn: all(db.kind, (r) => Number(r.hydratedOnReturn)),
              }
            : {}),
          ...(figure.size.endsWith('RSS delta')
            ? {
                rssBeforeKiB: of(db.kind, (r) => r.rssBeforeKiB),
                rssAfterKiB: of(db.kind, (r) => r.rssAfterKiB),
                rssRetainedKiB: of(db.kind, (r) => r.rssRetainedKiB),
                peakBeforeKiB: of(db.kind, (r) => r.peakBeforeKiB),
                peakAfterKiB: of(db.kind, (r) => r.peakAfterKiB),
              }
            : {}),
          ...(figure.size.endsWith('heap delta')
            ? {
                heapBeforeKiB: of(db.kind, (r) => r.heapBeforeKiB),
                heapAfterKiB: of(db.kind, (r) => r.heapAfterKiB),
                heapRetainedKiB: of(db.kind, (r) => r.heapRetainedKiB),
                externalDeltaKiB: of(db.kind, (r) => r.externalRetainedKiB - r.externalBeforeKiB),
              }
            : {}),
        },
      })
    }
    if (figure.label === '') continue
    const content = of('content', figure.value)
    const control = of('control', figure.value)
    const ratio = content / control
    checks.push(
      limitCheck({
        contender: contender(dbs[0]),
        size: figure.size,
        label: figure.label,
        value: ratio,
        detail: `${formatRatio(ratio)} (${figure.format(content)} / ${figure.format(control)})`,
        target: `<= ${LIMIT}x`,
        max: LIMIT,
      }),
    )
  }
  const pageLine = (kind: WorkspaceKind): string => {
    const p = stored[kind].pages
    const part = (type: string): string =>
      p[type] === undefined ? `0 ${type}` : `${p[type].pages} ${type} (${formatBytes(p[type].bytes)})`
    return Object.keys(p).length === 0 ? 'dbstat unavailable' : ['leaf', 'interior', 'overflow'].map(part).join(', ')
  }
  const detail = (kind: WorkspaceKind): string =>
    `${kind}: open ${formatMs(of(kind, (r) => r.openMs))}, hydrate ${formatMs(of(kind, hydrate))}; ` +
    `RSS ${formatKiB(of(kind, (r) => r.rssBeforeKiB))} -> ${formatKiB(of(kind, (r) => r.rssAfterKiB))} after hydration -> ${formatKiB(of(kind, (r) => r.rssRetainedKiB))} after GC; ` +
    `heap used ${formatKiB(of(kind, (r) => r.heapBeforeKiB))} -> ${formatKiB(of(kind, (r) => r.heapAfterKiB))} -> ${formatKiB(of(kind, (r) => r.heapRetainedKiB))}; ` +
    `peak RSS (VmHWM) ${formatKiB(of(kind, (r) => r.peakBeforeKiB))} before, ${formatKiB(of(kind, (r) => r.peakAfterKiB))} after; ` +
    `state: ${reports.get(kind)?.[0]?.files ?? 0} files, ${reports.get(kind)?.[0]?.folders ?? 0} folders, sizeBytes ${bytesLabel(reports.get(kind)?.[0]?.sizeBytes ?? 0)}`
  const hydratedOnReturn = [...reports.values()].flat().every((r) => r.hydratedOnReturn)
  return [
    `part 1: ${runs} fresh \`node --expose-gc --import tsx\` processes per database (workspaceHydrateChild.ts), interleaved; medians. ` +
      'The baseline is read after loading the modules and a GC, before createBetterSqlite3Backend({ filename }) opens the file; ' +
      'hydrate = createWorkspaceStore({ backend }) until hydrated (the backend already open: open is reported apart); ' +
      `deltas are read after hydration and a GC, the store still referenced. ${hydratedOnReturn ? 'Every store was hydrated when createWorkspaceStore returned.' : 'NOT every store was hydrated when createWorkspaceStore returned: whenHydrated was awaited.'}`,
    detail('content'),
    detail('control'),
    `workspace_files pages (dbstat): content ${pageLine('content')}; control ${pageLine('control')}. ` +
      'The content is in workspace_file_content: hydration scans the metadata leaf pages only, ' +
      'which stay in the connection page cache (cache_size 64 MiB by default) that the RSS delta includes. ' +
      `Read from the file while opening and hydrating (rchar of /proc/self/io): content ${formatBytes(of('content', (r) => r.readBytes))}, control ${formatBytes(of('control', (r) => r.readBytes))}, of ${bytesLabel(dbs[0].contentBytes)} of content.`,
    'the database files were written by this run just before: their pages are in the OS page cache (a warm start, not a cold boot).',
  ]
}

/** Part 2: a large file written through createFile and read back through readFile, binary and text. */
async function measureBigFile(ctx: BenchContext, measurements: Measurement[], checks: Check[]): Promise<string[]> {
  const { bigFileBytes: bytes, bigFileRuns: runs } = ctx.options.workspace
  const file = join(ctx.dir, 'workspace-big.db')
  removeDatabase(file)
  ctx.progress(`W1: ${formatMB(bytes)} file round trips, ${runs} runs per kind`)
  const contents: { kind: 'binary' | 'text'; name: string; content: FileContent }[] = [
    { kind: 'binary', name: 'big.bin', content: seededBytes(bytes, ctx.options.seed * 23) },
    { kind: 'text', name: 'big.txt', content: utf8Text(bytes) },
  ]
  const backend = createBetterSqlite3Backend({ filename: file, synchronous: ctx.options.synchronous })
  const store = createWorkspaceStore({ backend, now: () => EPOCH })
  interface RoundTrips {
    write: number[]
    read: number[]
    equal: number
    /** Bytes written by the process during each write, read during each read (/proc/self/io). */
    writeIo: number[]
    readIo: number[]
  }
  const results = new Map<string, RoundTrips>(
    contents.map((c) => [c.kind, { write: [], read: [], equal: 0, writeIo: [], readIo: [] }]),
  )
  const sizeMismatches: string[] = []
  let dbPeak = 0
  try {
    for (let run = 0; run < runs; run++) {
      for (let turn = 0; turn < contents.length; turn++) {
        const c = contents[(run + turn) % contents.length] as (typeof contents)[number]
        const r = results.get(c.kind) as RoundTrips
        collectGarbage()
        await sleep(0)
        const io = ioBytes()
        const started = now()
        const id = store.getState().createFile({ name: c.name, content: c.content })
        await store.persist.flush()
        const written = now()
        const writeIo = ioSince(io)
        const ioRead = ioBytes()
        const readStarted = now()
        const back = await store.getState().readFile(id)
        const read = now()
        r.readIo.push(ioSince(ioRead).read)
        r.writeIo.push(writeIo.written)
        r.write.push(written - started)
        r.read.push(read - readStarted)
        if (sameContent(c.content, back)) r.equal++
        const meta = store.getState().files.find((f) => f.id === id)
        if (meta?.sizeBytes !== bytes || meta.encoding !== c.kind)
          sizeMismatches.push(`${c.kind}: sizeBytes ${String(meta?.sizeBytes)}, encoding ${String(meta?.encoding)}`)
        dbPeak = Math.max(dbPeak, statSync(file).size)
        // Untimed: the next run writes into the pages this one frees.
        store.getState().deleteFile(id)
        await store.persist.flush()
      }
    }
  } finally {
    await closeStore(store, backend)
    removeDatabase(file)
    collectGarbage()
  }
  const size = formatMB(bytes)
  const rate = (ms: number): string => `${((bytes / 1e6) * (1000 / ms)).toFixed(0)} MB/s`
  const notes: string[] = []
  for (const c of contents) {
    const r = results.get(c.kind) as RoundTrips
    const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b)
    const p90 = (values: number[]): number => sorted(values)[Math.max(0, Math.ceil(0.9 * values.length) - 1)] as number
    const contender = `LIB ${c.kind}`
    measurements.push({
      contender,
      size: `${size}: createFile + flush`,
      unit: 'ms',
      median: median(r.write),
      p90: p90(r.write),
      samples: r.write.length,
      extra: { runs: r.write, mbPerSecond: (bytes / 1e6) * (1000 / median(r.write)), bytesWritten: r.writeIo },
    })
    measurements.push({
      contender,
      size: `${size}: readFile`,
      unit: 'ms',
      median: median(r.read),
      p90: p90(r.read),
      samples: r.read.length,
      extra: { runs: r.read, mbPerSecond: (bytes / 1e6) * (1000 / median(r.read)), bytesRead: r.readIo },
    })
    checks.push({
      contender,
      size: `${size}: createFile + flush`,
      label: 'byte for byte',
      value: r.equal,
      detail: `${r.equal}/${runs} round trips equal (${bytesLabel(bytes)} ${c.kind === 'text' ? 'of UTF-8, a string' : 'Uint8Array'})`,
      target: 'every run',
      pass: r.equal === runs && sizeMismatches.length === 0,
    })
    notes.push(
      `${c.kind}: write ${formatMs(median(r.write))} (${rate(median(r.write))}), read ${formatMs(median(r.read))} (${rate(median(r.read))}); ` +
        `written by the process during a write ${formatBytes(median(r.writeIo))} (WAL, then its checkpoint into the database), read during a read ${formatBytes(median(r.readIo))}; ` +
        `runs: write ${r.write.map(formatMs).join(', ')}; read ${r.read.map(formatMs).join(', ')}`,
    )
  }
  ctx.facts['W1 big file'] = {
    bytes: bytesLabel(bytes),
    'largest database file during the runs': bytesLabel(dbPeak),
    'sizeBytes and encoding as written': sizeMismatches.length === 0 ? 'yes' : sizeMismatches.join('; '),
  }
  return [
    `part 2: createFile({ name, content }) then await store.persist.flush() (one transaction, WAL), then await readFile(id); ${runs} runs per kind, binary and text interleaved, medians. ` +
      `Binary: ${formatMB(bytes)} of seeded bytes; text: a string of ${formatMB(bytes)} of UTF-8 (1- to 4-byte characters). ` +
      'After each run the file is deleted (untimed), so later runs reuse the freed pages of the same database.',
    ...notes,
  ]
}

/** The same object with its keys in order, to compare row counts as JSON. */
const sortedKeys = (tables: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(tables).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

interface Operation {
  name: string
  /** Rows each commit must report (onCommit info.tables), for the one commit of the operation. */
  expected: Record<string, number>
  run(store: WorkspaceStoreApi, run: number): void
}

/** Part 3: folder operations on the workspaces, until committed, content against control. */
async function measureOperations(
  ctx: BenchContext,
  dbs: readonly [WorkspaceDb, WorkspaceDb],
  measurements: Measurement[],
  checks: Check[],
): Promise<string[]> {
  const o = ctx.options.workspace
  const perFolder = o.files / dbs[0].folders
  if (o.subfoldersPerTop < 1 || o.topFolders < 3 || !Number.isInteger(perFolder)) {
    return ['part 3 skipped: needs at least 3 top folders with subfolders and the same number of files in each folder']
  }
  const leaf = '/dir-0/sub-1'
  const top = '/dir-1'
  // Leaves to delete, one per run, from the end of the tree (never under dir-0 or dir-1).
  const leaves = folderPaths(o.topFolders, o.subfoldersPerTop)
    .filter((p) => /^\/dir-\d+\/sub-\d+$/.test(p) && !p.startsWith('/dir-0/') && !p.startsWith('/dir-1/'))
    .reverse()
  const runs = Math.min(o.operationRuns, leaves.length)
  const folderId = (store: WorkspaceStoreApi, path: string): string => {
    const entry = store.getState().entryByPath(path)
    if (entry?.kind !== 'folder') throw new Error(`W1: no folder ${path}`)
    return entry.folder.id
  }
  const renamed = (path: string, run: number): { from: string; to: string } => {
    const name = path.slice(path.lastIndexOf('/') + 1)
    return run % 2 === 0 ? { from: path, to: `${name}-renamed` } : { from: `${path}-renamed`, to: name }
  }
  const operations: Operation[] = [
    {
      name: `rename folder (${perFolder} files)`,
      expected: { workspace_folders: 1, workspace_files: perFolder, workspace_history: 1 },
      run: (store, run) => {
        const { from, to } = renamed(leaf, run)
        store.getState().rename(folderId(store, from), to)
      },
    },
    {
      name: `rename folder (${sizeLabel(perFolder * (1 + o.subfoldersPerTop))} files, ${1 + o.subfoldersPerTop} folders)`,
      expected: {
        workspace_folders: 1 + o.subfoldersPerTop,
        workspace_files: perFolder * (1 + o.subfoldersPerTop),
        workspace_history: 1,
      },
      run: (store, run) => {
        const { from, to } = renamed(top, run)
        store.getState().rename(folderId(store, from), to)
      },
    },
    {
      name: `deleteFolder (${perFolder} files)`,
      expected: { workspace_folders: 1, workspace_files: perFolder, workspace_history: 1 },
      run: (store, run) => store.getState().deleteFolder(folderId(store, leaves[run] as string)),
    },
  ]
  const open = dbs.map((db) => {
    const commits: Record<string, number>[] = []
    const backend = createBetterSqlite3Backend({ filename: db.file, synchronous: ctx.options.synchronous })
    const store = createWorkspaceStore({
      backend,
      onCommit: (info: CommitInfo) => commits.push({ ...info.tables }),
    })
    return { db, backend, store, commits }
  })
  const times = new Map<string, number[]>()
  const rows = new Map<string, string[]>()
  const io = new Map<string, { read: number; written: number }[]>()
  const key = (kind: WorkspaceKind, op: Operation): string => `${kind}\u0000${op.name}`
  try {
    for (let run = 0; run < runs; run++) {
      ctx.progress(`W1: folder operations, run ${run + 1}/${runs}`)
      for (let turn = 0; turn < open.length; turn++) {
        const w = open[(run + turn) % open.length] as (typeof open)[number]
        for (const op of operations) {
          collectGarbage()
          await sleep(0)
          w.commits.length = 0
          const ioBefore = ioBytes()
          const started = now()
          op.run(w.store, run)
          await w.store.persist.flush()
          const ms = now() - started
          io.set(key(w.db.kind, op), [...(io.get(key(w.db.kind, op)) ?? []), ioSince(ioBefore)])
          times.set(key(w.db.kind, op), [...(times.get(key(w.db.kind, op)) ?? []), ms])
          rows.set(key(w.db.kind, op), [
            ...(rows.get(key(w.db.kind, op)) ?? []),
            JSON.stringify(w.commits.map(sortedKeys)),
          ])
        }
      }
    }
  } finally {
    for (const w of open) await closeStore(w.store, w.backend)
    collectGarbage()
  }
  const notes: string[] = []
  const contender = (db: WorkspaceDb): string =>
    db.kind === 'content' ? `LIB content (${formatMB(db.contentBytes)})` : 'LIB control (0 B)'
  for (const op of operations) {
    for (const db of dbs) {
      const values = times.get(key(db.kind, op)) ?? []
      const seen = rows.get(key(db.kind, op)) ?? []
      const expected = JSON.stringify([sortedKeys(op.expected)])
      measurements.push({
        contender: contender(db),
        size: op.name,
        unit: 'ms',
        median: median(values),
        p90: [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(0.9 * values.length) - 1)] as number,
        samples: values.length,
        extra: { runs: values, commits: [...new Set(seen)], io: io.get(key(db.kind, op)) },
      })
      checks.push({
        contender: contender(db),
        size: op.name,
        label: 'rows committed',
        value: seen.filter((s) => s === expected).length,
        detail: [...new Set(seen)].map((s) => `${(JSON.parse(s) as unknown[]).length} commit(s) ${s}`).join('; '),
        target: `1 commit of ${Object.entries(op.expected)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}`,
        pass: seen.length === runs && seen.every((s) => s === expected),
      })
    }
    const content = median(times.get(key('content', op)) ?? [])
    const control = median(times.get(key('control', op)) ?? [])
    const ioOf = (kind: WorkspaceKind, field: 'read' | 'written'): string =>
      formatBytes(median((io.get(key(kind, op)) ?? []).map((x) => x[field])))
    notes.push(
      `${op.name}: content/control ${formatRatio(content / control)} (${formatMs(content)} / ${formatMs(control)}); ` +
        `the process read ${ioOf('content', 'read')} / ${ioOf('control', 'read')} and wrote ${ioOf('content', 'written')} / ${ioOf('control', 'written')} (content / control, /proc/self/io)`,
    )
  }
  return [
    `part 3: on the same two workspaces, after part 1, in this process: each operation is the store action, then await store.persist.flush() (until committed), ${runs} runs per database, the databases interleaved; medians. ` +
      `Renames go to \`<name>-renamed\` and back (${leaf} and ${top}); each deleteFolder removes another leaf folder. Rows are what onCommit reports (info.tables).`,
    ...notes,
  ]
}

/** W1: the workspace store: hydration without content, a 50 MB round trip, folder operations. */
export async function runWorkspaceTarget(ctx: BenchContext): Promise<TargetResult> {
  const o = ctx.options.workspace
  const measurements: Measurement[] = []
  const checks: Check[] = []
  const pools = makePools(ctx.options.seed * 29)
  const files = [join(ctx.dir, 'workspace-content.db'), join(ctx.dir, 'workspace-control.db')] as const
  try {
    ctx.progress(`W1: writing ${sizeLabel(o.files)} files of ${formatMB(o.fileBytes)} through the store`)
    const content = await buildWorkspace(ctx, 'content', files[0], pools)
    ctx.progress(`W1: writing the control (${sizeLabel(o.files)} files, no content)`)
    const control = await buildWorkspace(ctx, 'control', files[1], pools)
    const dbs = [content, control] as const
    const stored = { content: inspect(content, pools, o.fileBytes), control: inspect(control, pools, o.fileBytes) }
    for (const db of dbs) {
      const s = stored[db.kind]
      if (s.rows !== db.files || s.storedBytes !== db.contentBytes || s.sizeBytes !== db.contentBytes || !s.spotChecks)
        throw new Error(
          `W1: ${db.kind} holds ${s.rows} files, ${s.storedBytes} bytes stored, sizeBytes ${s.sizeBytes}, spot checks ${String(s.spotChecks)}; expected ${db.files} files of ${db.contentBytes} bytes`,
        )
    }
    ctx.facts['W1 workspaces'] = Object.fromEntries(
      dbs.map((db) => {
        const s = stored[db.kind]
        return [
          db.kind,
          `${bytesLabel(s.databaseFile)} database file (WAL ${formatBytes(s.walFile)}); ${s.rows} files in ${db.folders} folders, ` +
            `${bytesLabel(s.storedBytes)} of content stored (sum of sizeBytes ${formatMB(s.sizeBytes)}); ` +
            `written through the store in ${formatMs(db.buildMs)} (${db.flushes} flushes of up to ${o.batch} files); ` +
            `first and last files read back equal: ${s.spotChecks ? 'yes' : 'NO'}; errors while writing: ${db.errors.length === 0 ? 'none' : db.errors.join(' | ')}`,
        ]
      }),
    )
    const notes = measureHydration(ctx, dbs, stored, measurements, checks)
    notes.push(...(await measureBigFile(ctx, measurements, checks)))
    notes.push(...(await measureOperations(ctx, dbs, measurements, checks)))
    notes.unshift(
      `workspaces: ${sizeLabel(o.files)} files (half text .txt, half binary .bin) in ${content.folders} folders (${o.topFolders} at the root with ${o.subfoldersPerTop} subfolders each, ${o.files / content.folders} files per folder), ` +
        `written through createWorkspaceStore on createBetterSqlite3Backend({ filename, synchronous: '${ctx.options.synchronous}' }) (WAL), createFile x ${o.batch} then flush(), same ids, names, paths and times in both; ` +
        `content: ${formatMB(o.fileBytes)} per file, database file ${bytesLabel(stored.content.databaseFile)}; control: the same files with empty content, database file ${bytesLabel(stored.control.databaseFile)}.`,
    )
    return {
      id: 'W1',
      title: `workspace store: hydrating ${sizeLabel(o.files)} files / ${formatMB(o.files * o.fileBytes)} against the same files without content; ${formatMB(o.bigFileBytes)} round trip; folder operations (store-workspace, better-sqlite3 file, WAL, synchronous=${ctx.options.synchronous})`,
      target: `content not loaded: hydration time and memory with content <= ${LIMIT}x control; a ${formatMB(o.bigFileBytes)} file round-trips byte for byte`,
      measurements,
      checks,
      notes,
    }
  } finally {
    for (const file of files) removeDatabase(file)
  }
}
