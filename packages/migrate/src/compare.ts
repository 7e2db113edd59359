const ownKeys = (value: object): string[] =>
  Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined)

const at = (path: string, key: string | number): string =>
  typeof key === 'number'
    ? `${path}[${key}]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`

/**
 * The path of the first difference between two plain JSON-like values, or `undefined` when they are equal.
 * A key holding `undefined` counts as absent (neither JSON nor a row stores it); -0 equals 0.
 */
export function firstDifference(a: unknown, b: unknown, path = 'state'): string | undefined {
  if (a === b) return undefined
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b) ? undefined : path
  }
  if (Array.isArray(a) !== Array.isArray(b)) return path
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path} (length ${a.length} and ${b.length})`
    for (let i = 0; i < a.length; i++) {
      const found = firstDifference(a[i], b[i], at(path, i))
      if (found !== undefined) return found
    }
    return undefined
  }
  const keysA = ownKeys(a)
  const keysB = new Set(ownKeys(b))
  for (const key of keysA) {
    if (!keysB.has(key)) return `${at(path, key)} (only in one)`
    const found = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      at(path, key),
    )
    if (found !== undefined) return found
    keysB.delete(key)
  }
  for (const key of keysB) return `${at(path, key)} (only in one)`
  return undefined
}

/** The first key whose count differs, as `key: a and b`, or `undefined`. */
export function countDifference(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): string | undefined {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (a[key] !== b[key]) return `${key}: ${a[key] ?? 'none'} and ${b[key] ?? 'none'}`
  }
  return undefined
}
