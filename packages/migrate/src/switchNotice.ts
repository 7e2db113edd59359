import { SQLITE_MIGRATION_FLAG } from './rollout'
import type { StoreStorage } from './storeMap'

/** What a tab that moved the device's stores tells the others. */
export interface StorageSwitch {
  readonly flag: string
  /** The stores moved, and the storage they live on now. */
  readonly stores: Readonly<Record<string, StoreStorage>>
}

const channelName = (flag: string): string => `zustand-sqlite:storage:${flag}`

/** @internal Tells the origin's other tabs that stores moved; a page without BroadcastChannel tells no one. */
export function announceSwitch(notice: StorageSwitch): void {
  if (typeof BroadcastChannel === 'undefined' || Object.keys(notice.stores).length === 0) return
  const channel = new BroadcastChannel(channelName(notice.flag))
  try {
    channel.postMessage(notice)
  } finally {
    channel.close()
  }
}

/**
 * Calls `listener` when another tab of the origin moves this device's stores to SQLite or back (a
 * migration or a rollback run by `startStorage`). A tab opened before still runs its stores on the storage
 * it started with, and what it writes there after the move is not on the new storage: reload it (or ask the
 * user to) when this is called. Returns the function that stops listening.
 *
 * @example
 * ```ts
 * onStorageSwitched(() => location.reload())
 * ```
 */
export function onStorageSwitched(
  listener: (notice: StorageSwitch) => void,
  options: { readonly flag?: string } = {},
): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => undefined
  const channel = new BroadcastChannel(channelName(options.flag ?? SQLITE_MIGRATION_FLAG))
  channel.onmessage = (event: MessageEvent<StorageSwitch>) => listener(event.data)
  return () => channel.close()
}
