import { isPlainObject } from '../schema/codec'
import { ZustandSqliteError } from '../contract/errors'

/** What Zustand's `persist` stores under a store's name: the persisted state and its version. */
export interface PersistEnvelope {
  readonly state: Record<string, unknown>
  readonly version: number
}

function refuse(what: string, problem: string, cause?: unknown): never {
  throw new ZustandSqliteError('INVALID_LEGACY_DATA', `${what}: ${problem}; nothing was imported`, {
    ...(cause === undefined ? {} : { cause }),
  })
}

/**
 * Reads the envelope Zustand's `persist` left in localStorage or IndexedDB (`{ state, version }`),
 * given as the stored JSON string (`localStorage.getItem(name)`), that string encoded once more (as
 * backups hold it), or already parsed. Throws INVALID_LEGACY_DATA for anything else: text that is not
 * JSON, no `state` object, no integer `version` (without one, there is no telling which migrations the
 * state needs).
 *
 * @example
 * ```ts
 * const { state, version } = readPersistEnvelope(localStorage.getItem('app-ui'), 'app-ui')
 * ```
 */
export function readPersistEnvelope(value: unknown, what = 'legacy data'): PersistEnvelope {
  let parsed = value
  for (let depth = 0; typeof parsed === 'string' && depth < 2; depth++) {
    try {
      parsed = JSON.parse(parsed)
    } catch (error) {
      refuse(what, `not JSON (${error instanceof Error ? error.message : String(error)})`, error)
    }
  }
  if (!isPlainObject(parsed)) refuse(what, 'expected a { state, version } object')
  const { state, version } = parsed
  if (!isPlainObject(state)) refuse(what, '`state` is not an object')
  if (!Number.isSafeInteger(version)) refuse(what, '`version` is missing or not an integer')
  return { state, version: version as number }
}
