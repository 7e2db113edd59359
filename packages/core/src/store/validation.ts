import { defaultCodec, isPlainObject, setOwn } from '../schema/codec'
import { isZustandSqliteError, ZustandSqliteError } from '../contract/errors'

/**
 * Checks one value and returns it typed, or throws INVALID_VALUE naming `path`. Made by the
 * {@link rules} factories.
 */
export type Rule<T> = (value: unknown, path: string) => T

/** Rules by field name: what {@link validatePatch} checks a patch against. */
export type Rules<T> = { readonly [K in keyof T]-?: Rule<T[K]> }

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}

function invalidValue(path: string, expected: string, value: unknown): never {
  throw new ZustandSqliteError('INVALID_VALUE', `${path}: expected ${expected}, got ${describeValue(value)}`, { path })
}

/**
 * Rule factories for the values of a store's state, used by the store packages' update functions and
 * usable for an app's own.
 *
 * @example
 * ```ts
 * const settingsRules = { theme: rules.oneOf('light', 'dark'), fontSize: rules.integer({ min: 8, max: 48 }) }
 * const patch = validatePatch(request.body, settingsRules, { what: 'settings' })
 * ```
 */
export const rules = {
  boolean: (): Rule<boolean> => (value, path) =>
    typeof value === 'boolean' ? value : invalidValue(path, 'a boolean', value),

  /** A string, optionally of bounded length and matching a pattern. */
  string:
    (
      options: { readonly minLength?: number; readonly maxLength?: number; readonly pattern?: RegExp } = {},
    ): Rule<string> =>
    (value, path) => {
      if (typeof value !== 'string') return invalidValue(path, 'a string', value)
      const { minLength = 0, maxLength = Infinity, pattern } = options
      if (value.length < minLength || value.length > maxLength) {
        const bounds = maxLength === Infinity ? `at least ${minLength}` : `${minLength} to ${maxLength}`
        return invalidValue(path, `a string of ${bounds} characters`, value)
      }
      if (pattern !== undefined && !pattern.test(value))
        return invalidValue(path, `a string matching ${String(pattern)}`, value)
      return value
    },

  /** A safe integer within `[min, max]`. */
  integer:
    (options: { readonly min?: number; readonly max?: number } = {}): Rule<number> =>
    (value, path) => {
      const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options
      if (!Number.isSafeInteger(value)) return invalidValue(path, 'an integer', value)
      if ((value as number) < min || (value as number) > max)
        return invalidValue(path, `an integer from ${min} to ${max}`, value)
      return value as number
    },

  /** One of the given strings (or numbers, or booleans). */
  oneOf:
    <const T extends readonly (string | number | boolean)[]>(...values: T): Rule<T[number]> =>
    (value, path) =>
      values.includes(value as T[number])
        ? (value as T[number])
        : invalidValue(path, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, value),

  /** A plain object whose every value passes `rule`. */
  record:
    <T>(rule: Rule<T>): Rule<Record<string, T>> =>
    (value, path) => {
      if (!isPlainObject(value)) return invalidValue(path, 'an object', value)
      const checked: Record<string, T> = {}
      for (const [key, item] of Object.entries(value)) setOwn(checked, key, rule(item, `${path}.${key}`))
      return checked
    },

  /** An array whose every item passes `rule`. */
  array:
    <T>(rule: Rule<T>): Rule<T[]> =>
    (value, path) =>
      Array.isArray(value) ? value.map((item, i) => rule(item, `${path}.${i}`)) : invalidValue(path, 'an array', value),

  /** Any value JSON holds faithfully (no cycles, BigInts, class instances or non-finite numbers). */
  json: (): Rule<unknown> => (value, path) => {
    try {
      defaultCodec.encodeJson(value, () => path)
    } catch (error) {
      if (!isZustandSqliteError(error)) throw error
      throw new ZustandSqliteError('INVALID_VALUE', error.message.replace(/^\[zustand-sqlite\] \w+: /, ''), {
        path: error.path ?? path,
      })
    }
    if (value === undefined) return invalidValue(path, 'a JSON value', value)
    return value
  },
} as const

/** Options of {@link validatePatch}. */
export interface ValidatePatchOptions {
  /** What the patch updates, for messages and paths. @default 'patch' */
  readonly what?: string
  /** Keep fields without a rule as they are, instead of refusing them. @default false */
  readonly allowUnknown?: boolean
}

/**
 * Checks a partial update against rules by field: returns it typed, or throws INVALID_VALUE naming
 * the first field that does not fit (a wrong type, a value out of range, a field without a rule).
 * Nothing is changed by a patch that fails: check before writing.
 *
 * @example
 * ```ts
 * const patch = validatePatch({ centerMode: 'wide' }, uiPreferencesRules, { what: 'ui-preferences' })
 * ```
 */
export function validatePatch<T>(patch: unknown, fieldRules: Rules<T>, options: ValidatePatchOptions = {}): Partial<T> {
  const what = options.what ?? 'patch'
  if (!isPlainObject(patch)) return invalidValue(what, 'an object of fields to update', patch)
  const checked: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(patch)) {
    const rule = (fieldRules as Record<string, Rule<unknown> | undefined>)[key]
    if (rule === undefined || !Object.prototype.hasOwnProperty.call(fieldRules, key)) {
      if (options.allowUnknown === true) setOwn(checked, key, value)
      else
        throw new ZustandSqliteError('INVALID_VALUE', `${what}.${key}: not a field that can be updated`, {
          path: `${what}.${key}`,
        })
      continue
    }
    setOwn(checked, key, rule(value, `${what}.${key}`))
  }
  return checked as Partial<T>
}
