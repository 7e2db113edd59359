import { defaultCodec, isPlainObject, setOwn } from '../schema/codec'
import { isZustandSqliteError, ZustandSqliteError } from '../contract/errors'

/** A JSON Schema (draft 2020-12) of what a rule accepts. */
export type JsonSchema = { readonly [keyword: string]: unknown }

/**
 * Checks one value and returns it typed, or throws INVALID_VALUE naming `path`. Made by the
 * {@link rules} factories, which give it `jsonSchema`: what it accepts, for an API description.
 */
export type Rule<T> = ((value: unknown, path: string) => T) & { readonly jsonSchema?: JsonSchema }

/** `check` as a rule that describes itself with `jsonSchema`. */
function described<T>(jsonSchema: JsonSchema, check: (value: unknown, path: string) => T): Rule<T> {
  return Object.assign(check, { jsonSchema })
}

/** What a rule accepts as JSON Schema; `{}` (anything) for a rule of an app's own without one. */
export const jsonSchemaOf = (rule: Rule<unknown>): JsonSchema => rule.jsonSchema ?? {}

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
  boolean: (): Rule<boolean> =>
    described({ type: 'boolean' }, (value, path) =>
      typeof value === 'boolean' ? value : invalidValue(path, 'a boolean', value),
    ),

  /** A string, optionally of bounded length and matching a pattern. */
  string: (
    options: { readonly minLength?: number; readonly maxLength?: number; readonly pattern?: RegExp } = {},
  ): Rule<string> => {
    const { minLength = 0, maxLength = Infinity, pattern } = options
    const schema: Record<string, unknown> = { type: 'string' }
    if (minLength > 0) schema['minLength'] = minLength
    if (maxLength !== Infinity) schema['maxLength'] = maxLength
    if (pattern !== undefined) schema['pattern'] = pattern.source
    return described(schema, (value, path) => {
      if (typeof value !== 'string') return invalidValue(path, 'a string', value)
      if (value.length < minLength || value.length > maxLength) {
        const bounds = maxLength === Infinity ? `at least ${minLength}` : `${minLength} to ${maxLength}`
        return invalidValue(path, `a string of ${bounds} characters`, value)
      }
      if (pattern !== undefined && !pattern.test(value))
        return invalidValue(path, `a string matching ${String(pattern)}`, value)
      return value
    })
  },

  /** A safe integer within `[min, max]`. */
  integer: (options: { readonly min?: number; readonly max?: number } = {}): Rule<number> => {
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options
    return described({ type: 'integer', minimum: min, maximum: max }, (value, path) => {
      if (!Number.isSafeInteger(value)) return invalidValue(path, 'an integer', value)
      if ((value as number) < min || (value as number) > max)
        return invalidValue(path, `an integer from ${min} to ${max}`, value)
      return value as number
    })
  },

  /** A finite number within `[min, max]`. */
  number: (options: { readonly min?: number; readonly max?: number } = {}): Rule<number> => {
    const { min, max } = options
    const schema: Record<string, unknown> = { type: 'number' }
    if (min !== undefined) schema['minimum'] = min
    if (max !== undefined) schema['maximum'] = max
    return described(schema, (value, path) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) return invalidValue(path, 'a finite number', value)
      if ((min !== undefined && value < min) || (max !== undefined && value > max))
        return invalidValue(path, `a number from ${min ?? '-Infinity'} to ${max ?? 'Infinity'}`, value)
      return value
    })
  },

  /** One of the given strings (or numbers, or booleans). */
  oneOf: <const T extends readonly (string | number | boolean)[]>(...values: T): Rule<T[number]> =>
    described({ enum: [...values] }, (value, path) =>
      values.includes(value as T[number])
        ? (value as T[number])
        : invalidValue(path, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, value),
    ),

  /** A plain object whose every value passes `rule`. */
  record: <T>(rule: Rule<T>): Rule<Record<string, T>> =>
    described({ type: 'object', additionalProperties: jsonSchemaOf(rule) }, (value, path) => {
      if (!isPlainObject(value)) return invalidValue(path, 'an object', value)
      const checked: Record<string, T> = {}
      for (const [key, item] of Object.entries(value)) setOwn(checked, key, rule(item, `${path}.${key}`))
      return checked
    }),

  /** An array whose every item passes `rule`. */
  array: <T>(rule: Rule<T>): Rule<T[]> =>
    described({ type: 'array', items: jsonSchemaOf(rule) }, (value, path) =>
      Array.isArray(value) ? value.map((item, i) => rule(item, `${path}.${i}`)) : invalidValue(path, 'an array', value),
    ),

  /** `null`, or a value `rule` accepts. */
  nullable: <T>(rule: Rule<T>): Rule<T | null> =>
    described({ anyOf: [jsonSchemaOf(rule), { type: 'null' }] }, (value, path) =>
      value === null ? null : rule(value, path),
    ),

  /** Any value JSON holds faithfully (no cycles, BigInts, class instances or non-finite numbers). */
  json: (): Rule<unknown> =>
    described({}, (value, path) => {
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
    }),
} as const

/** Options of {@link validatePatch}. */
export interface ValidatePatchOptions {
  /** What the patch updates, for messages and paths. @default 'patch' */
  readonly what?: string
  /** Keep fields without a rule as they are, instead of refusing them. @default false */
  readonly allowUnknown?: boolean
  /** Fields the patch must hold: one missing throws INVALID_VALUE naming it. @default none */
  readonly required?: readonly string[]
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
  for (const key of options.required ?? [])
    if (!Object.prototype.hasOwnProperty.call(patch, key))
      throw new ZustandSqliteError('INVALID_VALUE', `${what}.${key}: is required`, { path: `${what}.${key}` })
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

/**
 * A validator in the Standard Schema v1 form (standardschema.dev), which API frameworks and form libraries
 * read, that also converts itself to JSON Schema in the Standard JSON Schema v1 form.
 */
export interface PatchSchema<T> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: 'zustand-sqlite'
    validate(
      value: unknown,
    ):
      | { readonly value: T }
      | { readonly issues: readonly { readonly message: string; readonly path: readonly string[] }[] }
    /** The JSON Schema of what it accepts (the same for every target: the rules use no keyword they differ on). */
    readonly jsonSchema: {
      readonly input: (options: { readonly target: string }) => Record<string, unknown>
      readonly output: (options: { readonly target: string }) => Record<string, unknown>
    }
    readonly types?: { readonly input: unknown; readonly output: T }
  }
  /** The patch as JSON Schema: an object of the fields that have rules, the `required` ones required. */
  readonly jsonSchema: JsonSchema
}

/**
 * The rules of a patch as one validator, for an HTTP API: a Standard Schema (its `validate` runs
 * {@link validatePatch} and answers the issue, with the path of the field, instead of throwing) and the JSON
 * Schema of the patch, to describe the API from the same rules that check it.
 *
 * @example
 * ```ts
 * const schema = patchSchema(uiPreferencesRules, { what: 'ui-preferences' })
 * const result = schema['~standard'].validate(body) // { value } or { issues: [{ message, path: ['fontSize'] }] }
 * ```
 */
export function patchSchema<T, K extends keyof T & string = never>(
  fieldRules: Rules<T>,
  options: ValidatePatchOptions & { readonly required?: readonly K[] } = {},
): PatchSchema<Partial<T> & Required<Pick<T, K>>> {
  const what = options.what ?? 'patch'
  const properties: Record<string, JsonSchema> = {}
  for (const [key, rule] of Object.entries(fieldRules as Record<string, Rule<unknown>>))
    setOwn(properties, key, jsonSchemaOf(rule))
  const required = options.required ?? []
  const jsonSchema: JsonSchema = {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required: [...required] } : {}),
    additionalProperties: options.allowUnknown === true,
  }
  const convert = (): Record<string, unknown> => structuredClone(jsonSchema) as Record<string, unknown>
  return {
    '~standard': {
      version: 1,
      vendor: 'zustand-sqlite',
      validate: (value) => {
        try {
          return { value: validatePatch(value, fieldRules, options) as Partial<T> & Required<Pick<T, K>> }
        } catch (error) {
          if (!isZustandSqliteError(error, 'INVALID_VALUE')) throw error
          const at = error.path ?? what
          // The message without the path in front: a Standard Schema issue carries its path apart.
          const message = error.message.replace(/^\[zustand-sqlite\] \w+: /, '').replace(`${at}: `, '')
          return { issues: [{ message, path: at.split('.').slice(1) }] }
        }
      },
      jsonSchema: { input: convert, output: convert },
    },
    jsonSchema,
  }
}
