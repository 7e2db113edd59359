import type { Backend } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'

/** An in-memory synchronous backend. */
export const memoryBackend = (): ReturnType<typeof createBetterSqlite3Backend> =>
  createBetterSqlite3Backend({ filename: ':memory:' })

/** Calls made to a backend, in order. */
export type Call = { method: keyof Backend; args: unknown[] }

/**
 * Wraps a backend so that every call resolves asynchronously (after a macrotask), as a backend over a
 * network or an async engine would, and records the calls.
 */
export function asyncBackend(inner: Backend, calls: Call[] = []): Backend & { calls: Call[] } {
  const later = <T>(method: keyof Backend, args: unknown[], fn: () => T | Promise<T>): Promise<T> => {
    calls.push({ method, args })
    return new Promise<T>((resolve, reject) => {
      setTimeout(() => {
        Promise.resolve().then(fn).then(resolve, reject)
      }, 1)
    })
  }
  return {
    name: `async(${inner.name})`,
    calls,
    prepare: (store, schema) => later('prepare', [store], () => inner.prepare(store, schema)),
    load: (store) => later('load', [store], () => inner.load(store)),
    apply: (changeSet) => later('apply', [changeSet], () => inner.apply(changeSet)),
    clear: (store) => later('clear', [store], () => inner.clear(store)),
    query: (sql, params) => later('query', [sql], () => inner.query(sql, params)),
    flush: () => later('flush', [], () => inner.flush()),
    close: () => later('close', [], () => inner.close()),
  }
}

/** Records every call to a synchronous backend, keeping it synchronous. */
export function recordingBackend(inner: Backend, calls: Call[] = []): Backend & { calls: Call[] } {
  const record =
    <A extends unknown[], R>(method: keyof Backend, fn: (...args: A) => R) =>
    (...args: A): R => {
      calls.push({ method, args })
      return fn(...args)
    }
  return {
    name: inner.name,
    calls,
    prepare: record('prepare', (store: string, schema: Parameters<Backend['prepare']>[1]) =>
      inner.prepare(store, schema),
    ),
    load: record('load', (store: string) => inner.load(store)),
    apply: record('apply', (changeSet: Parameters<Backend['apply']>[0]) => inner.apply(changeSet)),
    clear: record('clear', (store: string) => inner.clear(store)),
    query: record('query', (sql: string, params?: Parameters<Backend['query']>[1]) => inner.query(sql, params)),
    flush: record('flush', () => inner.flush()),
    close: record('close', () => inner.close()),
  }
}

export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
