import {
  countChangeSetRows,
  isZustandSqliteError,
  readPersistEnvelope,
  readStoredState,
  writeStoredState,
  writeStoredStates,
  ZustandSqliteError,
} from '@zustand-sqlite/core'
import type { Backend, LegacyImport, LegacyStore, StoredState, ZustandSqliteErrorCode } from '@zustand-sqlite/core'
import { countDifference, firstDifference } from './compare'
import { clock, emit, storeEvent } from './events'
import type { MigrationEventListener } from './events'
import { readBackupText, readRecord, recordOptions } from './record'
import type { MigrationRecord, StoreMigrationEntry } from './record'
import { checksum, legacyText, resolveSources, utf8Bytes } from './sources'
import type { LegacySource, LegacySources } from './sources'
import type { Rollout } from './rollout'
import { updateStoreMap } from './storeMap'
import { exclusively } from './lock'

/** The step a migration has finished, as `onProgress` tells it. */
export type MigrationStep =
  /** The legacy values of the stores to move were read and imported. */
  | 'read'
  /** Their backups (and the record that they are backed up) were committed. */
  | 'backup'
  /** Every imported store was committed, in one transaction. */
  | 'write'
  /** One store was read back and compared. */
  | 'verify'
  /** The record says which stores are verified: the migration is over. */
  | 'done'

/** How far a migration is: for a progress bar. */
export interface MigrationProgress {
  readonly step: MigrationStep
  /** The store the step was about (for `verify`). */
  readonly store?: string
  /** Stores finished (verified, skipped or failed) of `storesTotal`. */
  readonly storesDone: number
  readonly storesTotal: number
  /** Rows written so far. */
  readonly rows: number
  /** Bytes of legacy values read so far, of `bytesTotal` (known once `read` is done). */
  readonly bytes: number
  readonly bytesTotal: number
}

/** Options of {@link migrateStores}. */
export interface MigrateStoresOptions {
  /** The SQLite database the stores move to. */
  readonly backend: Backend
  /** The legacy descriptors of the stores to move (each store package exports one). */
  readonly stores: readonly LegacyStore[]
  /** Where the legacy values are. @default the page's localStorage and idb-keyval's default database */
  readonly sources?: LegacySources
  /**
   * Called after each step has committed; a step it interrupts (a reload, a killed process) is found by the
   * next call, which finishes the job.
   */
  readonly onProgress?: (progress: MigrationProgress) => void
  /** Called with an event for each store's migration and verification. */
  readonly onEvent?: MigrationEventListener
  /**
   * The rollout of the device: when given, the stores moved are recorded in its storage as living in SQLite
   * (a failed one as not), and the device as migrated, for the next start's decision.
   */
  readonly rollout?: Rollout
}

/** What happened to one store. */
export interface StoreMigrationResult {
  /** The store's name (its definition's). */
  readonly store: string
  readonly outcome:
    | 'migrated'
    /** Done by an earlier call, and its legacy value has not changed since. */
    | 'already-migrated'
    /** Its legacy storage holds nothing: nothing to move (the store starts empty in SQLite). */
    | 'empty'
    /** Left on its legacy storage; `error` says why. */
    | 'failed'
  readonly error?: ZustandSqliteError
  readonly code?: ZustandSqliteErrorCode
  /** Rows written. */
  readonly rows: number
  /** Bytes of its legacy value. */
  readonly bytes: number
  /** What it holds (`count` of its descriptor), as written and read back. */
  readonly counts: Readonly<Record<string, number>>
  /** The same counts of the legacy value as the app's `persist` read it; absent when they cannot be taken. */
  readonly sourceCounts?: Readonly<Record<string, number>>
  /** How many things the importer cleaned; its report in `report`. */
  readonly cleaned: number
  readonly report?: unknown
}

/** What {@link migrateStores} did. */
export interface MigrationResult {
  /** True when no store failed. */
  readonly ok: boolean
  readonly stores: readonly StoreMigrationResult[]
  readonly durationMs: number
  /** Rows written by this call. */
  readonly rows: number
  /** Bytes of legacy values read. */
  readonly bytes: number
}

const now = (): number => Date.now()

/** The stores in an order where each comes after those it names in `after` (when they are in the list). */
export function orderStores(stores: readonly LegacyStore[]): LegacyStore[] {
  const byName = new Map<string, LegacyStore>()
  for (const store of stores) {
    const name = store.definition.name
    if (byName.has(name))
      throw new ZustandSqliteError('INVALID_OPTIONS', `store ${JSON.stringify(name)} is listed twice`, { store: name })
    byName.set(name, store)
  }
  const ordered: LegacyStore[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (store: LegacyStore): void => {
    const name = store.definition.name
    if (state.get(name) === 'done') return
    if (state.get(name) === 'visiting')
      throw new ZustandSqliteError('INVALID_OPTIONS', `stores name each other in \`after\` (${name})`, { store: name })
    state.set(name, 'visiting')
    for (const before of store.after ?? []) {
      const found = byName.get(before)
      if (found !== undefined) visit(found)
    }
    state.set(name, 'done')
    ordered.push(store)
  }
  stores.forEach(visit)
  return ordered
}

function asError(error: unknown, store: string, code: ZustandSqliteErrorCode, what: string): ZustandSqliteError {
  if (isZustandSqliteError(error)) return error
  return new ZustandSqliteError(code, `${store}: ${what} (${error instanceof Error ? error.message : String(error)})`, {
    store,
    cause: error,
  })
}

/** One store on its way. */
interface Pending {
  readonly legacy: LegacyStore
  readonly name: string
  readonly source: LegacySource
  readonly text: string
  readonly bytes: number
  readonly checksum: string
  /** What the backup keeps of `text` (the descriptor's `backup`), and its checksum. */
  readonly backupText: string
  readonly backupChecksum: string
  readonly imported: LegacyImport<unknown>
  readonly sourceCounts: Readonly<Record<string, number>> | undefined
  readonly previous: StoredState | null
  readonly started: number
  rows: number
}

/**
 * Moves stores from their legacy storage (localStorage, IndexedDB, any `StateStorage`) into SQLite:
 *
 * 1. reads each store's legacy value and imports it with the store's importer (its cleaning report kept);
 * 2. commits a checksummed backup of each value to the database (the legacy value stays untouched);
 * 3. writes every imported store **in one transaction** (`applyMany`), so that the stores become visible
 *    together or not at all;
 * 4. reads each store back through its definition and compares it with what was imported (content and
 *    counts), and checks the backup against the legacy value;
 * 5. records the verified stores as done.
 *
 * A store whose legacy value is corrupt or of an unknown version (or fails verification) is reported with
 * its typed code and left on its legacy storage; the others move. Nothing is ever deleted from a legacy
 * storage (see {@link cleanupLegacy}). A second call does nothing for a store done and unchanged since;
 * a call interrupted at any point (a reload, a killed process) leaves the database either as before or
 * resumable, and the next call finishes the job, without duplicates: each store's write is its whole
 * imported state, diffed against what the database holds.
 *
 * A store done earlier whose legacy value has changed since (the app ran on the legacy storage meanwhile:
 * a rollback, a rollout that went back) is moved again, the legacy value being the newer one.
 *
 * @example
 * ```ts
 * const result = await migrateStores({ backend, stores: [chatsLegacy, chatFoldersLegacy, uiPreferencesLegacy] })
 * for (const s of result.stores) if (s.outcome === 'failed') console.warn(s.store, s.code)
 * ```
 */
export async function migrateStores(options: MigrateStoresOptions): Promise<MigrationResult> {
  const started = clock()
  const ordered = orderStores(options.stores)
  return exclusively(async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await migrateOnce(options, ordered, started)
      } catch (error) {
        // Another connection (a process without Web Locks) wrote the record or a store meanwhile: start again
        // from what it wrote, after a pause; after eight tries, every store is reported failed.
        if (!isZustandSqliteError(error, 'CONCURRENT_MODIFICATION')) throw error
        if (attempt < MAX_ATTEMPTS) {
          // A random pause, growing with each try: two writers that collided do not collide again in step.
          await new Promise((resolve) => setTimeout(resolve, attempt * (20 + Math.random() * 80)))
          continue
        }
        const stores = ordered.map((legacy) => ({
          store: legacy.definition.name,
          outcome: 'failed' as const,
          error,
          code: error.code,
          rows: 0,
          bytes: 0,
          counts: {},
          cleaned: 0,
        }))
        return { ok: false, stores, durationMs: clock() - started, rows: 0, bytes: 0 }
      }
    }
  })
}

/** How often a migration that finds another writer's commit starts again. */
const MAX_ATTEMPTS = 8

async function migrateOnce(
  options: MigrateStoresOptions,
  ordered: readonly LegacyStore[],
  started: number,
): Promise<MigrationResult> {
  const { backend, onEvent } = options
  const sources = resolveSources(options.sources)
  const results = new Map<string, StoreMigrationResult>()
  const total = ordered.length
  let rowsWritten = 0
  let bytesRead = 0
  let bytesTotal = 0
  const progress = (step: MigrationStep, store?: string): void => {
    options.onProgress?.({
      step,
      ...(store === undefined ? {} : { store }),
      storesDone: results.size,
      storesTotal: total,
      rows: rowsWritten,
      bytes: bytesRead,
      bytesTotal,
    })
  }
  const fail = (name: string, error: ZustandSqliteError, extra: Partial<StoreMigrationResult> = {}): void => {
    results.set(name, {
      store: name,
      outcome: 'failed',
      error,
      code: error.code,
      rows: 0,
      bytes: 0,
      counts: {},
      cleaned: 0,
      ...extra,
    })
  }

  let { record, stored } = await readRecord(backend)

  // 1. Read and import.
  const pending: Pending[] = []
  const imported = new Map<string, unknown>()
  for (const legacy of ordered) {
    const name = legacy.definition.name
    const storeStarted = clock()
    const source = sources[legacy.location]
    if (source === undefined) {
      const error = new ZustandSqliteError(
        'LEGACY_STORAGE_FAILED',
        `${name}: no ${legacy.location} source to read ${JSON.stringify(legacy.key)} from; pass one in \`sources\``,
        { store: name },
      )
      fail(name, error)
      emit(onEvent, storeEvent('migration', name, 'failed', storeStarted, { error }))
      continue
    }
    try {
      const raw = await source.read(legacy.key)
      if (raw === null || raw === undefined) {
        results.set(name, { store: name, outcome: 'empty', rows: 0, bytes: 0, counts: {}, cleaned: 0 })
        emit(onEvent, storeEvent('migration', name, 'skipped', storeStarted, { message: 'no legacy value' }))
        continue
      }
      const text = legacyText(raw)
      const bytes = utf8Bytes(text)
      const sum = await checksum(text)
      bytesTotal += bytes
      bytesRead += bytes
      const entry = record.stores[name]
      if (entry?.status === 'verified' && entry.checksum === sum) {
        results.set(name, {
          store: name,
          outcome: 'already-migrated',
          rows: 0,
          bytes,
          counts: entry.counts,
          cleaned: entry.cleaned,
        })
        emit(onEvent, storeEvent('migration', name, 'skipped', storeStarted, { bytes, message: 'already migrated' }))
        continue
      }
      const result = await legacy.import(raw, {
        backend,
        imported: (store) => imported.get(store),
      })
      if (result === null) {
        results.set(name, { store: name, outcome: 'empty', rows: 0, bytes, counts: {}, cleaned: 0 })
        emit(onEvent, storeEvent('migration', name, 'skipped', storeStarted, { bytes, message: 'nothing to import' }))
        continue
      }
      const sourceCounts = await countSource(legacy, raw)
      const lost = lostKind(sourceCounts, legacy.count(result.state), result.cleaned)
      if (lost !== undefined) {
        throw new ZustandSqliteError(
          'VERIFICATION_FAILED',
          `${name}: the legacy value holds ${lost} but the import holds none, and its importer reports nothing cleaned; nothing was written`,
          { store: name },
        )
      }
      imported.set(name, result.state)
      const backupText = legacy.backup === undefined ? text : await legacy.backup(text)
      const backupChecksum = backupText === text ? sum : await checksum(backupText)
      const previous = await readStoredState(backend, {
        name,
        ...(legacy.definition.schema === undefined ? {} : { schema: legacy.definition.schema }),
        ...(legacy.definition.json === undefined ? {} : { json: legacy.definition.json }),
      })
      pending.push({
        legacy,
        name,
        source,
        text,
        bytes,
        checksum: sum,
        backupText,
        backupChecksum,
        imported: result,
        sourceCounts,
        previous,
        started: storeStarted,
        rows: 0,
      })
    } catch (error) {
      const typed = asError(error, name, 'INVALID_LEGACY_DATA', 'importing the legacy value failed')
      fail(name, typed)
      emit(onEvent, storeEvent('migration', name, 'failed', storeStarted, { error: typed }))
    }
  }
  progress('read')

  if (pending.length > 0) {
    // 2. Backups, before anything of the stores is written.
    const backedUp = structuredClone(record) as MigrationRecord
    for (const p of pending) {
      const at = now()
      backedUp.backups[p.name] = {
        checksum: p.backupChecksum,
        bytes: utf8Bytes(p.backupText),
        takenAt: at,
        text: p.backupText,
      }
      backedUp.stores[p.name] = {
        ...(record.stores[p.name] ?? {}),
        status: 'backed-up',
        legacyKey: p.legacy.key,
        location: p.legacy.location,
        checksum: p.checksum,
        bytes: p.bytes,
        rows: 0,
        counts: p.legacy.count(p.imported.state),
        ...(p.sourceCounts === undefined ? {} : { sourceCounts: p.sourceCounts }),
        cleaned: p.imported.cleaned,
        updatedAt: at,
      } as StoreMigrationEntry
    }
    await writeStoredState(backend, { ...recordOptions, previous: stored }, backedUp)
    ;({ record, stored } = await readRecord(backend))
    progress('backup')

    // 3. Every store in one transaction. A state the database cannot hold fails its store alone.
    let writing = pending
    for (;;) {
      try {
        const changeSets = await writeStoredStates(
          backend,
          writing.map((p) => ({
            options: {
              name: p.name,
              version: p.legacy.definition.version,
              previous: p.previous,
              ...(p.legacy.definition.schema === undefined ? {} : { schema: p.legacy.definition.schema }),
              ...(p.legacy.definition.json === undefined ? {} : { json: p.legacy.definition.json }),
            },
            next: p.imported.state as object,
          })),
        )
        changeSets.forEach((changeSet, i) => {
          const p = writing[i] as Pending
          p.rows = changeSet === undefined ? 0 : countChangeSetRows(changeSet)
          rowsWritten += p.rows
        })
        break
      } catch (error) {
        if (isZustandSqliteError(error, 'CONCURRENT_MODIFICATION')) throw error
        const store = isZustandSqliteError(error) ? error.store : undefined
        const culprit = writing.find((p) => p.name === store)
        const typed = asError(error, culprit?.name ?? 'migration', 'WRITE_FAILED', 'writing the stores failed')
        // A value one store cannot hold (named in the error) leaves that store out; the others are written.
        if (culprit !== undefined && typed.code !== 'DATABASE_BUSY') {
          fail(culprit.name, typed, { bytes: culprit.bytes })
          emit(
            onEvent,
            storeEvent('migration', culprit.name, 'failed', culprit.started, { bytes: culprit.bytes, error: typed }),
          )
          writing = writing.filter((p) => p !== culprit)
          if (writing.length > 0) continue
          break
        }
        for (const p of writing) {
          fail(p.name, typed, { bytes: p.bytes })
          emit(onEvent, storeEvent('migration', p.name, 'failed', p.started, { bytes: p.bytes, error: typed }))
        }
        writing = []
        break
      }
    }
    if (writing.length > 0) progress('write')

    // 4. Verify each store: read back through its definition, compared with what was imported.
    const verified = structuredClone(record) as MigrationRecord
    for (const p of writing) {
      const verifyStarted = clock()
      const difference = await verifyStore(backend, p)
      const at = now()
      const entry = verified.stores[p.name] as StoreMigrationEntry
      const counts = p.legacy.count(p.imported.state)
      // The write committed: the migration's own event, whatever its verification found.
      emit(
        onEvent,
        storeEvent('migration', p.name, 'ok', p.started, { rows: p.rows, bytes: p.bytes, ended: verifyStarted }),
      )
      if (difference === undefined) {
        Object.assign(entry, {
          status: 'verified',
          rows: p.rows,
          counts,
          migratedAt: at,
          verifiedAt: at,
          updatedAt: at,
        })
        delete entry.error
        results.set(p.name, {
          store: p.name,
          outcome: 'migrated',
          rows: p.rows,
          bytes: p.bytes,
          counts,
          ...(p.sourceCounts === undefined ? {} : { sourceCounts: p.sourceCounts }),
          cleaned: p.imported.cleaned,
          ...(p.imported.report === undefined ? {} : { report: p.imported.report }),
        })
        emit(onEvent, storeEvent('verification', p.name, 'ok', verifyStarted, { rows: p.rows, bytes: p.bytes }))
      } else {
        const error = new ZustandSqliteError(
          'VERIFICATION_FAILED',
          `${p.name}: what was written does not read back as imported: ${difference}; the store stays on ${p.source.label}`,
          { store: p.name },
        )
        Object.assign(entry, { status: 'verification-failed', rows: p.rows, counts, error: error.code, updatedAt: at })
        fail(p.name, error, { bytes: p.bytes, rows: p.rows })
        emit(
          onEvent,
          storeEvent('verification', p.name, 'mismatch', verifyStarted, { rows: p.rows, bytes: p.bytes, error }),
        )
      }
      progress('verify', p.name)
    }
    // 5. The record of what is done.
    await writeStoredState(backend, { ...recordOptions, previous: stored }, verified)
  }
  progress('done')

  const list = ordered.map((legacy) => results.get(legacy.definition.name) as StoreMigrationResult)
  if (options.rollout !== undefined) {
    updateStoreMap(
      options.rollout,
      Object.fromEntries(list.map((r) => [r.store, r.outcome === 'failed' ? 'legacy' : 'sqlite'] as const)),
    )
    options.rollout.markMigrated()
  }
  return {
    ok: list.every((r) => r.outcome !== 'failed'),
    stores: list,
    durationMs: clock() - started,
    rows: rowsWritten,
    bytes: bytesRead,
  }
}

/**
 * The counts of the legacy value as the app's `persist` reads it: its envelope, through the legacy
 * `migrate` when its version is another; `undefined` when they cannot be taken (a value the app could not
 * read either).
 */
async function countSource(legacy: LegacyStore, raw: unknown): Promise<Readonly<Record<string, number>> | undefined> {
  try {
    const { state, version } = readPersistEnvelope(raw, legacy.key)
    const { persistOptions } = legacy
    const read =
      version === persistOptions.version || persistOptions.migrate === undefined
        ? state
        : await persistOptions.migrate(state, version)
    const counts = (legacy.countLegacy ?? legacy.count)(read)
    return Object.values(counts).every((n) => Number.isFinite(n)) ? counts : undefined
  } catch {
    return undefined
  }
}

/**
 * A kind the source held some of and the import holds none of, while the importer reports nothing cleaned:
 * the signature of a read that lost everything (as `count` names it, with the source's number).
 */
function lostKind(
  source: Readonly<Record<string, number>> | undefined,
  imported: Readonly<Record<string, number>>,
  cleaned: number,
): string | undefined {
  if (source === undefined || cleaned > 0) return undefined
  for (const [kind, n] of Object.entries(source)) if (n > 0 && imported[kind] === 0) return `${n} ${kind}`
  return undefined
}

/** The first difference between what `p` imported and what the database now holds for it, or `undefined`. */
async function verifyStore(backend: Backend, p: Pending): Promise<string | undefined> {
  const { definition } = p.legacy
  try {
    const stored = await readStoredState(backend, {
      name: p.name,
      ...(definition.schema === undefined ? {} : { schema: definition.schema }),
      ...(definition.json === undefined ? {} : { json: definition.json }),
    })
    if (stored === null) return 'nothing is stored'
    if (stored.version !== definition.version)
      return `the stored version is ${stored.version}, not ${definition.version}`
    const content = firstDifference(p.imported.state, stored.state)
    if (content !== undefined) return content
    const counts = countDifference(p.legacy.count(p.imported.state), p.legacy.count(stored.state as never))
    if (counts !== undefined) return `counts differ (${counts})`
    // The store loads as the app will load it: migrated and merged through its definition.
    await definition.read(backend, { name: p.name })
    const backup = await readBackupText(backend, p.name)
    if (backup === undefined || (await checksum(backup)) !== p.backupChecksum)
      return 'the backup does not read back as written'
    return undefined
  } catch (error) {
    return `reading it back failed (${error instanceof Error ? error.message : String(error)})`
  }
}

/** Options of {@link cleanupLegacy}. */
export interface CleanupLegacyOptions {
  readonly backend: Backend
  readonly stores: readonly LegacyStore[]
  readonly sources?: LegacySources
}

/** What {@link cleanupLegacy} did for one store. */
export interface CleanupResult {
  readonly store: string
  readonly outcome: 'removed' | 'not-verified' | 'changed-since' | 'absent'
}

/**
 * Removes the legacy values of stores the migration verified, and only those: a store not verified, or
 * whose legacy value has changed since it was migrated (the app wrote it again), keeps its legacy value.
 * The backups in the database stay. Never called by the migration itself.
 */
export async function cleanupLegacy(options: CleanupLegacyOptions): Promise<CleanupResult[]> {
  return exclusively(() => cleanupOnce(options))
}

async function cleanupOnce(options: CleanupLegacyOptions): Promise<CleanupResult[]> {
  const sources = resolveSources(options.sources)
  const { record, stored } = await readRecord(options.backend)
  const next = structuredClone(record) as MigrationRecord
  const results: CleanupResult[] = []
  for (const legacy of orderStores(options.stores)) {
    const name = legacy.definition.name
    const entry = record.stores[name]
    const source = sources[legacy.location]
    if (entry?.status !== 'verified' || source === undefined) {
      results.push({ store: name, outcome: 'not-verified' })
      continue
    }
    const raw = await source.read(legacy.key)
    if (raw === null || raw === undefined) {
      results.push({ store: name, outcome: 'absent' })
      continue
    }
    if ((await checksum(legacyText(raw))) !== entry.checksum) {
      results.push({ store: name, outcome: 'changed-since' })
      continue
    }
    await source.remove(legacy.key)
    Object.assign(next.stores[name] as StoreMigrationEntry, { cleanedUpAt: now(), updatedAt: now() })
    results.push({ store: name, outcome: 'removed' })
  }
  await writeStoredState(options.backend, { ...recordOptions, previous: stored }, next)
  return results
}

/** The record of every store a migration touched, as stored in the database. */
export async function readMigrationRecord(backend: Backend): Promise<Readonly<Record<string, StoreMigrationEntry>>> {
  return (await readRecord(backend)).record.stores
}
