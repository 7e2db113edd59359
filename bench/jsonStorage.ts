// The status quo: Zustand's own `persist`, the whole state as one JSON string in IndexedDB through
// idb-keyval. fake-indexeddb stands in for the browser's IndexedDB (it structured-clones values as a
// browser does, but keeps them in this process's memory).
import 'fake-indexeddb/auto'
import { del, get, set } from 'idb-keyval'
import { createJSONStorage } from 'zustand/middleware'
import type { PersistStorage } from 'zustand/middleware'

export function idbJsonStorage<S>(): PersistStorage<S> {
  const storage = createJSONStorage<S>(() => ({
    getItem: async (name) => (await get<string>(name)) ?? null,
    setItem: (name, value) => set(name, value),
    removeItem: (name) => del(name),
  }))
  if (storage === undefined) throw new Error('createJSONStorage returned no storage')
  return storage
}

/** Length of the JSON string stored under `name` (characters; the text is ASCII, so bytes too). */
export async function storedJsonLength(name: string): Promise<number> {
  return (await get<string>(name))?.length ?? 0
}

export const readStoredJson = (name: string): Promise<string | undefined> => get<string>(name)
export const writeStoredJson = (name: string, json: string): Promise<void> => set(name, json)
export const deleteStoredJson = (name: string): Promise<void> => del(name)
