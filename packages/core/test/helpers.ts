import { createStore } from 'zustand/vanilla'
import type { StateCreator } from 'zustand/vanilla'
import { isZustandSqliteError, persistSQLite } from '@zustand-sqlite/core'
import type { Backend, PersistSQLiteOptions } from '@zustand-sqlite/core'
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
    load: (store, options) => later('load', [store, options], () => inner.load(store, options)),
    apply: (changeSet) => later('apply', [changeSet], () => inner.apply(changeSet)),
    ...(inner.applyMany === undefined
      ? {}
      : {
          applyMany: (changeSets: Parameters<NonNullable<Backend['applyMany']>>[0]) =>
            later('applyMany', [changeSets], () => (inner.applyMany as NonNullable<Backend['applyMany']>)(changeSets)),
        }),
    clear: (store) => later('clear', [store], () => inner.clear(store)),
    query: (sql, params) => later('query', [sql], () => inner.query(sql, params)),
    flush: () => later('flush', [], () => inner.flush()),
    close: () => later('close', [], () => inner.close()),
    // Commits are told as the inner backend tells them, a macrotask later, as an engine in a worker would.
    ...(inner.subscribe === undefined
      ? {}
      : {
          subscribe: (listener: Parameters<NonNullable<Backend['subscribe']>>[0]) =>
            (inner.subscribe as NonNullable<Backend['subscribe']>)((change) => setTimeout(() => listener(change), 1)),
        }),
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
    load: record('load', (store: string, options?: Parameters<Backend['load']>[1]) => inner.load(store, options)),
    apply: record('apply', (changeSet: Parameters<Backend['apply']>[0]) => inner.apply(changeSet)),
    ...(inner.applyMany === undefined
      ? {}
      : {
          applyMany: record('applyMany', (changeSets: Parameters<NonNullable<Backend['applyMany']>>[0]) =>
            (inner.applyMany as NonNullable<Backend['applyMany']>)(changeSets),
          ),
        }),
    clear: record('clear', (store: string) => inner.clear(store)),
    query: record('query', (sql: string, params?: Parameters<Backend['query']>[1]) => inner.query(sql, params)),
    flush: record('flush', () => inner.flush()),
    close: record('close', () => inner.close()),
    ...(inner.subscribe === undefined ? {} : { subscribe: inner.subscribe.bind(inner) }),
  }
}

export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The bears store of the middleware tests: persisted keys, an action, and one key a test may set. */
export interface Bears {
  bears: number
  fish: number
  owner: string
  addBear: () => void
  setOwner: (owner: string) => void
}

export const bearsCreator: StateCreator<Bears> = (set) => ({
  bears: 0,
  fish: 0,
  owner: 'nobody',
  addBear: () => set((s) => ({ bears: s.bears + 1 })),
  setOwner: (owner) => set({ owner }),
})

/** A bears store named `bears` on `backend`, collecting what reaches `onError`. */
export function bearsStore(backend: Backend, options: Partial<PersistSQLiteOptions<Bears, unknown>> = {}) {
  const errors: unknown[] = []
  const store = createStore<Bears>()(
    persistSQLite(bearsCreator, { name: 'bears', backend, onError: (e) => errors.push(e), ...options }),
  )
  return Object.assign(store, { errors })
}

export const applies = (calls: readonly Call[]): Call[] => calls.filter((c) => c.method === 'apply')

export const codeOf = (error: unknown): string | undefined => (isZustandSqliteError(error) ? error.code : undefined)
