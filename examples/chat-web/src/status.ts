import { create } from 'zustand'
import type { Role } from '@zustand-sqlite/backend-sqlite-wasm'
import type { MigrationEvent, MigrationEventListener } from '@zustand-sqlite/migrate'

/** Where a write went. */
export type WriteStorage = 'indexeddb' | 'localstorage' | 'sqlite'

/** One write of a store, timed from its `set()` until it was stored. */
export interface WriteSample {
  readonly store: string
  readonly storage: WriteStorage
  readonly ms: number
  /** Characters of JSON written (legacy storages) or rows written (SQLite). */
  readonly size: number
  /** When it was stored (ms since the epoch). */
  readonly at: number
  /**
   * Measured in shadow mode, where each change is written to both storages on the same thread: each figure then
   * includes some of the other storage's work, so these are shown apart from the writes measured alone.
   */
  readonly shadow?: boolean
}

/** How many writes and events the app keeps on this device (in localStorage, beside the stores). */
const KEEP_WRITES = 400
const KEEP_EVENTS = 200
const WRITES_KEY = 'chat-web:write-costs'
const EVENTS_KEY = 'chat-web:migration-events'

function load<T>(key: string): T[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(key) ?? '[]')
    return Array.isArray(value) ? (value as T[]) : []
  } catch {
    return []
  }
}

interface Status {
  /** This tab's place in the SQLite database: the writer, a follower, or none when nothing runs on SQLite. */
  role: Role | undefined
  /** Writes timed on this device, the last {@link KEEP_WRITES}, kept across reloads and the switch. */
  writes: WriteSample[]
  /** Migration, verification, rollback and shadow events on this device, the last {@link KEEP_EVENTS}. */
  events: MigrationEvent[]
  /** The events of this page load. */
  sessionEvents: MigrationEvent[]
  /** Why the start did not do what the rollout chose (the database did not open, ...). */
  startError: string | undefined
  setRole(role: Role): void
  addWrite(sample: WriteSample): void
  addEvent(event: MigrationEvent): void
  setEventSink(sink: MigrationEventListener): void
  setStartError(message: string): void
  clearWrites(): void
}

let eventSink: MigrationEventListener | undefined
let saveTimer: ReturnType<typeof setTimeout> | undefined

/** The app's status beside its stores: not persisted by the library, so it reads the same on either storage. */
export const status = create<Status>()((set, get) => {
  const save = (): void => {
    saveTimer ??= setTimeout(() => {
      saveTimer = undefined
      localStorage.setItem(WRITES_KEY, JSON.stringify(get().writes))
    }, 500)
  }
  return {
    role: undefined,
    writes: load<WriteSample>(WRITES_KEY),
    events: load<MigrationEvent>(EVENTS_KEY),
    sessionEvents: [],
    startError: undefined,
    setRole: (role) => set({ role }),
    addWrite: (sample) => {
      set({ writes: [...get().writes, sample].slice(-KEEP_WRITES) })
      save()
    },
    addEvent: (event) => {
      // Events carry the error as its code and message only: they are kept as JSON.
      const { kind, store, outcome, code, message, durationMs, rows, bytes, storage } = event
      const kept: MigrationEvent = {
        kind,
        store,
        outcome,
        durationMs,
        rows,
        bytes,
        ...(code === undefined ? {} : { code }),
        ...(message === undefined ? {} : { message }),
        ...(storage === undefined ? {} : { storage }),
      }
      const events = [...get().events, kept].slice(-KEEP_EVENTS)
      set({ events, sessionEvents: [...get().sessionEvents, kept] })
      localStorage.setItem(EVENTS_KEY, JSON.stringify(events))
      eventSink?.(event)
    },
    setEventSink: (sink) => {
      eventSink = sink
    },
    setStartError: (startError) => set({ startError }),
    clearWrites: () => {
      set({ writes: [] })
      localStorage.removeItem(WRITES_KEY)
    },
  }
})

/** The median of some numbers, `undefined` for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}
