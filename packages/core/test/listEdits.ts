// Immutable edits of arrays at positions a property test draws (any natural number, wrapped to the list),
// as an app's `set((s) => ...)` makes them.

export function insertAt<T>(list: readonly T[], index: number, item: T): T[] {
  const copy = [...list]
  copy.splice(index % (list.length + 1), 0, item)
  return copy
}

export function removeAt<T>(list: readonly T[], index: number): T[] {
  if (list.length === 0) return [...list]
  const copy = [...list]
  copy.splice(index % list.length, 1)
  return copy
}

export function move<T>(list: readonly T[], from: number, to: number): T[] {
  if (list.length === 0) return [...list]
  const copy = [...list]
  const [item] = copy.splice(from % copy.length, 1)
  copy.splice(to % (copy.length + 1), 0, item as T)
  return copy
}

export function editAt<T>(list: readonly T[], index: number, edit: (item: T) => T): T[] {
  if (list.length === 0) return [...list]
  const i = index % list.length
  return list.map((item, j) => (j === i ? edit(item) : item))
}
