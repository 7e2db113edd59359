import { useEffect, useMemo, useState } from 'react'
import { useStore } from 'zustand'
import { createRollout, migrationReport, readMigrationRecord, ROLLOUT_STAGES } from '@zustand-sqlite/migrate'
import type { MigrationReport, ShadowComparison, StoreMigrationEntry } from '@zustand-sqlite/migrate'
import { chatsLegacy } from '@zustand-sqlite/store-chats'
import { legacyStores, readRemoteConfig, setShadowEnabled, shadowEnabled, writeRemoteConfig } from '../storage'
import type { Boot } from '../storage'
import { median, status } from '../status'
import type { WriteSample } from '../status'
import { WriteCostChart } from './WriteCostChart'

const locationLabel = { indexedDB: 'IndexedDB', localStorage: 'localStorage' } as const

/** Flushes what every store holds, then reloads: a decision taken for the next start applies. */
async function reload(boot: Boot): Promise<void> {
  await Promise.all(
    Object.values(boot.stores).map((store) => {
      const persist = store.persist as { flush?: () => Promise<void> }
      return persist.flush?.()
    }),
  )
  location.reload()
}

/** The swap, in the open: each store's storage, the rollout, the migration and its verification, shadow mode, rollback, monitoring. */
export function StoragePanel({ boot }: { boot: Boot }) {
  return (
    <aside className="panel storage-panel" aria-label="Storage">
      <Stores boot={boot} />
      <Rollout boot={boot} />
      <Migration boot={boot} />
      <Shadow boot={boot} />
      <Monitoring boot={boot} />
    </aside>
  )
}

function Stores({ boot }: { boot: Boot }) {
  return (
    <section>
      <h3>Where each store lives</h3>
      <table className="grid" data-testid="store-storages">
        <tbody>
          {legacyStores.map((legacy) => {
            const name = legacy.definition.name
            const storage = boot.started.storageOf(name)
            return (
              <tr key={name} data-store={name} data-storage={storage}>
                <td>{name}</td>
                <td className={storage === 'sqlite' ? 'good' : 'neutral'}>
                  {storage === 'sqlite' ? 'SQLite' : locationLabel[legacy.location]}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      {boot.started.error !== undefined && <p className="warn">{boot.started.error.message}</p>}
    </section>
  )
}

const reasons = {
  'kill-switch': 'the kill switch is on',
  override: "the user's labs switch",
  migrated: 'moved on an earlier start',
  'in-rollout': 'its bucket is inside the rollout',
  'not-in-rollout': 'its bucket is outside the rollout',
} as const

function Rollout({ boot }: { boot: Boot }) {
  const { rollout, started } = boot
  const [, setVersion] = useState(0)
  const changed = () => setVersion((v) => v + 1)
  const remote = readRemoteConfig()
  // A rollout keeps the decision of its start: a new one reads the record as the next start will.
  const next = createRollout({ killSwitch: remote.killSwitch }).decide()
  const percentage = rollout.state.percentage ?? 0
  const differs = next.storage !== started.decision.storage || next.migrate || next.rollback
  return (
    <section>
      <h3>Rollout</h3>
      <p>
        This device: bucket <strong data-testid="rollout-bucket">{rollout.bucket.toFixed(1)}</strong> of 100 · id{' '}
        <code>{rollout.deviceId.slice(0, 8)}</code>
      </p>
      <p>
        This start runs on <strong>{started.decision.storage === 'sqlite' ? 'SQLite' : 'the legacy storages'}</strong> (
        {reasons[started.decision.reason]}).
      </p>
      <div className="stages" role="group" aria-label="Rollout percentage">
        {[0, ...ROLLOUT_STAGES].map((stage) => (
          <button
            key={stage}
            type="button"
            className={stage === percentage ? 'active' : ''}
            aria-pressed={stage === percentage}
            onClick={() => {
              rollout.setPercentage(stage)
              changed()
            }}
          >
            {stage}%
          </button>
        ))}
        <input
          type="number"
          min={0}
          max={100}
          step={0.5}
          aria-label="Rollout percentage"
          value={percentage}
          onChange={(event) => {
            const value = Number(event.target.value)
            if (Number.isFinite(value) && value >= 0 && value <= 100) {
              rollout.setPercentage(value)
              changed()
            }
          }}
        />
      </div>
      <label className="row toggle">
        <span>Kill switch (everyone back to IndexedDB)</span>
        <input
          type="checkbox"
          checked={remote.killSwitch}
          onChange={(event) => {
            writeRemoteConfig({ killSwitch: event.target.checked })
            changed()
          }}
        />
      </label>
      <p className={differs ? 'warn' : 'muted'} data-testid="next-start">
        Next start: {next.storage === 'sqlite' ? 'SQLite' : 'legacy storages'}
        {next.migrate ? ', migrating first' : ''}
        {next.rollback ? ', rolling back first' : ''}.
      </p>
      {differs && (
        <button type="button" className="primary" onClick={() => void reload(boot)}>
          Reload to apply
        </button>
      )}
    </section>
  )
}

function Migration({ boot }: { boot: Boot }) {
  const { started, backend, stores } = boot
  const [record, setRecord] = useState<Readonly<Record<string, StoreMigrationEntry>>>()
  useEffect(() => {
    if (backend !== undefined) void readMigrationRecord(backend).then(setRecord)
  }, [backend])
  const migration = started.migration
  const rollback = started.rollback
  const onSQLite = stores.chats.storage === 'sqlite'
  const setFlagAndReload = async (value: boolean) => {
    boot.rollout.setOverride(value)
    stores.labs.getState().setFlag('sqlite-migration', value)
    await reload(boot)
  }
  return (
    <section>
      <h3>Migration and verification</h3>
      {migration !== undefined && (
        <p data-testid="migration-summary">
          This start moved {migration.stores.filter((s) => s.outcome === 'migrated').length} stores,{' '}
          {migration.rows.toLocaleString()} rows from {(migration.bytes / 1024 / 1024).toFixed(2)} MiB, in{' '}
          <strong data-testid="migration-ms">{Math.round(migration.durationMs)} ms</strong>
          {migration.ok ? ', every store verified.' : ', with failures (those stores stay on their legacy storage).'}
        </p>
      )}
      {rollback !== undefined && (
        <p data-testid="rollback-summary">
          This start rolled {rollback.stores.filter((s) => s.outcome === 'rolled-back').length} stores back to their
          legacy storage in {Math.round(rollback.durationMs)} ms
          {rollback.ok ? ', each verified by hydrating it.' : ', with failures.'}
        </p>
      )}
      {record !== undefined && Object.keys(record).length > 0 ? (
        <table className="grid" data-testid="verification-report">
          <thead>
            <tr>
              <th>store, counts (legacy → SQLite)</th>
              <th>status</th>
              <th>rows</th>
              <th>cleaned</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(record).map(([name, entry]) => (
              <tr key={name}>
                <td>
                  {name}
                  <div className="muted small">
                    {Object.entries(entry.counts)
                      .map(([what, n]) => `${what} ${entry.sourceCounts?.[what] ?? '?'} → ${n}`)
                      .join(', ') || '—'}
                  </div>
                </td>
                <td className={`nowrap ${entry.status === 'verified' ? 'good' : entry.error ? 'bad' : ''}`}>
                  {entry.status}
                  {entry.error ? ` (${entry.error})` : ''}
                </td>
                <td>{entry.rows.toLocaleString()}</td>
                <td>{entry.cleaned}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">Nothing moved to SQLite on this device yet.</p>
      )}
      <div className="actions">
        {onSQLite ? (
          <button type="button" onClick={() => void setFlagAndReload(false)} data-testid="rollback">
            Roll back to IndexedDB
          </button>
        ) : (
          <button
            type="button"
            className="primary"
            onClick={() => void setFlagAndReload(true)}
            data-testid="migrate-now"
          >
            Move to SQLite now
          </button>
        )}
      </div>
    </section>
  )
}

function Shadow({ boot }: { boot: Boot }) {
  const [enabled, setEnabled] = useState(shadowEnabled)
  const [results, setResults] = useState<{ store: string; result: ShadowComparison }[]>()
  const active = boot.shadows.length > 0
  const compare = async () => {
    setResults(
      await Promise.all(boot.shadows.map(async ({ store, shadow }) => ({ store, result: await shadow.compare() }))),
    )
  }
  return (
    <section>
      <h3>Shadow mode</h3>
      <label className="row toggle">
        <span>Write SQLite beside the legacy storages (next start)</span>
        <input
          type="checkbox"
          checked={enabled}
          onChange={(event) => {
            setShadowEnabled(event.target.checked)
            setEnabled(event.target.checked)
          }}
        />
      </label>
      {active ? (
        <>
          <p>
            On: {boot.shadows.length} stores run on their legacy storage and every change is written to SQLite too; each
            write is timed on both.
          </p>
          <button type="button" onClick={() => void compare()}>
            Compare the two storages now
          </button>
          {results !== undefined && (
            <ul className="plain-list" data-testid="shadow-comparisons">
              {results.map(({ store, result }) => (
                <li key={store} className={result.equal ? 'good' : 'bad'}>
                  {store}: {result.equal ? 'equal' : `differ at ${result.difference}`}
                </li>
              ))}
            </ul>
          )}
        </>
      ) : (
        <p className="muted">
          {boot.stores.chats.storage === 'sqlite' ? 'Not needed: the stores run on SQLite.' : 'Off.'}
        </p>
      )}
    </section>
  )
}

function stats(
  writes: readonly WriteSample[],
  sqlite: boolean,
  shadow = false,
): { median: number | undefined; count: number } {
  const values = writes
    .filter((w) => (w.storage === 'sqlite') === sqlite && (w.shadow === true) === shadow)
    .map((w) => w.ms)
  return { median: median(values), count: values.length }
}

const ms = (value: number | undefined): string =>
  value === undefined ? '—' : value < 10 ? value.toFixed(2) : value.toFixed(0)

function Monitoring({ boot }: { boot: Boot }) {
  const events = useStore(status, (s) => s.events)
  // The writes of the chats store: the same kind of change on either storage (a token, a message, a title).
  const all = useStore(status, (s) => s.writes)
  const writes = useMemo(() => all.filter((w) => w.store === chatsLegacy.definition.name), [all])
  const [report, setReport] = useState<MigrationReport>()
  useEffect(() => {
    // The metrics store records the events when it runs on SQLite; its report reads them back with SQL.
    if (boot.backend === undefined || boot.stores.metrics.storage !== 'sqlite') return
    void migrationReport(boot.backend).then(setReport, () => undefined)
  }, [boot, events.length])
  const counts = useMemo(() => {
    const migrations = events.filter((e) => e.kind === 'migration' && e.outcome !== 'skipped')
    const ok = migrations.filter((e) => e.outcome === 'ok').length
    const errors: Record<string, number> = {}
    for (const event of events)
      if (event.outcome === 'failed' || event.outcome === 'mismatch')
        errors[event.code ?? 'UNKNOWN'] = (errors[event.code ?? 'UNKNOWN'] ?? 0) + 1
    return { migrations: migrations.length, ok, errors }
  }, [events])
  const alone = { legacy: stats(writes, false), sqlite: stats(writes, true) }
  const shadowed = { legacy: stats(writes, false, true), sqlite: stats(writes, true, true) }
  // The ratio of writes measured alone; shadow mode's only when nothing else was measured.
  const pair = alone.legacy.count > 0 && alone.sqlite.count > 0 ? alone : shadowed
  const ratio =
    pair.legacy.median !== undefined && pair.sqlite.median !== undefined && pair.sqlite.median > 0
      ? pair.legacy.median / pair.sqlite.median
      : undefined
  return (
    <section>
      <h3>Monitoring</h3>
      <p data-testid="migration-success">
        Migrations of a store on this device: {counts.ok} of {counts.migrations} succeeded
        {counts.migrations > 0 ? ` (${((100 * counts.ok) / counts.migrations).toFixed(0)}%)` : ''}.
      </p>
      <p data-testid="migration-errors">
        Errors by code:{' '}
        {Object.keys(counts.errors).length === 0
          ? 'none'
          : Object.entries(counts.errors)
              .map(([code, n]) => `${code} × ${n}`)
              .join(', ')}
      </p>
      {report !== undefined && report.durationMs.migration.p50 !== null && (
        <p className="muted">
          From the metrics store: migration of a store p50 {ms(report.durationMs.migration.p50 ?? undefined)} ms, p95{' '}
          {ms(report.durationMs.migration.p95 ?? undefined)} ms.
        </p>
      )}
      <h4>Cost of each write of the chats on this machine</h4>
      <WriteCostChart writes={writes} />
      <table className="grid" data-testid="write-costs">
        <thead>
          <tr>
            <th />
            <th>alone</th>
            <th>in shadow mode</th>
          </tr>
        </thead>
        <tbody>
          <tr data-storage="legacy">
            <td>IndexedDB / localStorage</td>
            <CostCell stats={alone.legacy} mode="alone" />
            <CostCell stats={shadowed.legacy} mode="shadow" />
          </tr>
          <tr data-storage="sqlite">
            <td>SQLite</td>
            <CostCell stats={alone.sqlite} mode="alone" />
            <CostCell stats={shadowed.sqlite} mode="shadow" />
          </tr>
        </tbody>
      </table>
      <p className="muted small">
        From a change until it is stored, serialization and the commit included. In shadow mode both storages are
        written on the same thread, so each figure includes some of the other's work.
      </p>
      {ratio !== undefined && (
        <p data-testid="write-ratio">
          SQLite's median write is{' '}
          <strong>{ratio >= 1 ? `${ratio.toFixed(1)}× faster` : `${(1 / ratio).toFixed(1)}× slower`}</strong> here
          {pair === shadowed ? ' (in shadow mode)' : ''}.
        </p>
      )}
      <button type="button" className="link" onClick={() => status.getState().clearWrites()}>
        Clear the measurements
      </button>
    </section>
  )
}

function CostCell({ stats, mode }: { stats: { median: number | undefined; count: number }; mode: string }) {
  return (
    <td data-mode={mode} data-writes={stats.count}>
      {stats.count === 0 ? '—' : `${ms(stats.median)} ms · ${stats.count} writes`}
    </td>
  )
}
