import { ZustandSqliteError } from '../contract/errors'
import type { SqlValue } from '../contract/sqlValue'
import type { ColumnDef } from './defineSchema'
import { decodeText, encodeText } from './text'

/**
 * True for a plain object: `{...}` or `Object.create(null)`, not an array, a class instance or `null`. What
 * JSON can hold as an object, and what state, patches and legacy envelopes are checked to be.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Sets `object[key] = value` as an own property, for keys that come from data. A plain assignment to
 * `__proto__` would replace the object's prototype instead, and the key would be lost.
 */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true })
  else object[key] = value
}

/** Builds the human-readable path of a value only when an error needs it. */
export type Where = () => string

/** Returned by {@link encodeColumn} for an absent lazy field: leave the stored value alone. */
export const OMIT: unique symbol = Symbol('zustand-sqlite.omit')

/** Returned by {@link decodeColumn} for a NULL that stands for an absent field. */
export const ABSENT: unique symbol = Symbol('zustand-sqlite.absent')

/** Values JSON.stringify leaves out of objects: such a field counts as absent. */
export function isDropped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol'
}

const IDENTIFIER_LIKE = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** `a.b[3]["odd key"]` from a base path and the segments below it. */
export function joinPath(base: string, segments: readonly (string | number)[]): string {
  let path = base
  for (const s of segments) {
    if (typeof s === 'number') path += `[${s}]`
    else if (IDENTIFIER_LIKE.test(s)) path += path === '' ? s : `.${s}`
    else path += `[${JSON.stringify(s)}]`
  }
  return path
}

function unstorable(where: Where, segments: readonly (string | number)[], problem: string): never {
  const path = joinPath(where(), segments)
  throw new ZustandSqliteError('UNSTORABLE_VALUE', `${path || '(state)'}: ${problem}`, { path })
}

function describe(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object with a custom prototype'
}

/**
 * How deep a stored JSON value may nest. Deeper values are refused rather than walked: the walks here
 * and JSON.stringify recurse, and a stack overflow would fail every later write of the store.
 */
export const MAX_JSON_DEPTH = 1000

/** Names the first levels of the path only: the whole of it would be as deep as the value. */
function tooDeep(where: Where, segments: readonly (string | number)[]): never {
  return unstorable(where, segments.slice(0, 8), `the value nests deeper than ${MAX_JSON_DEPTH} levels; flatten it`)
}

function checkJson(value: unknown, where: Where, segments: (string | number)[], ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
    case 'function':
    case 'symbol':
      return
    case 'number':
      if (!Number.isFinite(value))
        unstorable(where, segments, `${String(value)} is not a finite number (JSON would turn it into null)`)
      return
    case 'bigint':
      unstorable(where, segments, 'a BigInt cannot be stored as JSON; convert it to a string or a number')
      return
    case 'object': {
      if (value === null) return
      if (ancestors.has(value)) unstorable(where, segments, 'the value contains a cycle')
      if (ancestors.size >= MAX_JSON_DEPTH) tooDeep(where, segments)
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function' && !(value instanceof Date)) {
        // JSON.stringify would store what toJSON returns, and that is what would load: not this object.
        unstorable(
          where,
          segments,
          'an object with a toJSON method would be stored as what toJSON returns, and load as that; store that value instead, or convert it in a `json.replacer`',
        )
      }
      ancestors.add(value)
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          segments.push(i)
          checkJson(value[i], where, segments, ancestors)
          segments.pop()
        }
      } else {
        const proto: unknown = Object.getPrototypeOf(value)
        if (proto !== Object.prototype && proto !== null) {
          unstorable(
            where,
            segments,
            `${describe(value)} is not a plain object (convert Dates to numbers or ISO strings, Maps and Sets to objects or arrays)`,
          )
        }
        for (const key of Object.keys(value)) {
          segments.push(key)
          checkJson((value as Record<string, unknown>)[key], where, segments, ancestors)
          segments.pop()
        }
      }
      ancestors.delete(value)
      return
    }
  }
}

/**
 * How values stored as JSON text (json columns, rest columns, key/value rows) are written and read: the
 * `replacer` of `JSON.stringify` and the `reviver` of `JSON.parse`, as Zustand's `createJSONStorage`
 * takes them. A replacer turns what JSON cannot hold (a Map, a Set) into what it can, before the value
 * is checked; a reviver turns it back when it is read.
 *
 * @example
 * ```ts
 * const json: JsonOptions = {
 *   replacer: (_key, value) => (value instanceof Map ? { __map: [...value] } : value),
 *   reviver: (_key, value) => (isPlainObject(value) && Array.isArray(value.__map) ? new Map(value.__map) : value),
 * }
 * ```
 */
export interface JsonOptions {
  readonly replacer?: (key: string, value: unknown) => unknown
  readonly reviver?: (key: string, value: unknown) => unknown
}

/** @internal Turns field values into SQL values and back, with a store's JSON options. */
export interface Codec {
  /**
   * JSON text of a value, or UNSTORABLE_VALUE naming the path of the first value JSON cannot hold
   * faithfully: a cycle, a BigInt, a non-finite number, a class instance. Functions, symbols and
   * `undefined` are left out of objects (and become null in arrays) as JSON.stringify does.
   */
  encodeJson(value: unknown, where: Where, field?: string): string
  /** Parses JSON read from the database; CORRUPT_DATABASE when it is not JSON. */
  decodeJson(text: unknown, where: Where): unknown
  /**
   * The SQL value of one field, checked against its column: a wrong type, a missing required field or
   * an unstorable JSON value throws UNSTORABLE_VALUE naming the path. Returns {@link OMIT} for an
   * absent lazy field.
   */
  encodeColumn(def: ColumnDef, value: unknown, where: Where, field?: string): SqlValue | typeof OMIT
  /** The field value of a column read back; {@link ABSENT} when NULL stands for an absent field. */
  decodeColumn(def: ColumnDef, value: SqlValue, where: Where): unknown
}

/**
 * What JSON.stringify would serialise with `replacer`, as plain values: `toJSON` first, then the
 * replacer with the holder as `this`, recursively. The result is then checked like any value.
 */
function replaced(
  replacer: NonNullable<JsonOptions['replacer']>,
  holder: object,
  key: string,
  input: unknown,
  where: Where,
  segments: (string | number)[],
  ancestors: Set<object>,
): unknown {
  let value = input
  if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function')
    value = (value as { toJSON: (key: string) => unknown }).toJSON(key)
  value = replacer.call(holder, key, value)
  if (typeof value !== 'object' || value === null) return value
  if (ancestors.has(value)) unstorable(where, segments, 'the value contains a cycle')
  if (ancestors.size >= MAX_JSON_DEPTH) tooDeep(where, segments)
  ancestors.add(value)
  let out: unknown
  if (Array.isArray(value)) {
    const list: unknown[] = []
    for (let i = 0; i < value.length; i++) {
      segments.push(i)
      list.push(replaced(replacer, value, String(i), value[i], where, segments, ancestors))
      segments.pop()
    }
    out = list
  } else if (isPlainObject(value)) {
    const object: Record<string, unknown> = {}
    for (const k of Object.keys(value)) {
      segments.push(k)
      setOwn(object, k, replaced(replacer, value, k, value[k], where, segments, ancestors))
      segments.pop()
    }
    out = object
  } else out = value // a class instance the replacer kept: refused by the check that follows
  ancestors.delete(value)
  return out
}

function decodeJsonText(text: unknown, where: Where, reviver: JsonOptions['reviver']): unknown {
  if (typeof text !== 'string') {
    throw new ZustandSqliteError('CORRUPT_DATABASE', `${where()}: expected JSON text, found ${typeof text}`, {
      path: where(),
    })
  }
  try {
    return JSON.parse(text, reviver)
  } catch (error) {
    throw new ZustandSqliteError('CORRUPT_DATABASE', `${where()}: stored JSON cannot be parsed`, {
      path: where(),
      cause: error,
    })
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return describe(value)
  return typeof value === 'string'
    ? `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`
    : `${typeof value} ${String(value)}`
}

/**
 * @internal A codec with a store's JSON options. Without a replacer, values are checked and written as
 * they are; with one, the replacer runs first (as in JSON.stringify) and its result is checked.
 */
export function createCodec(json: JsonOptions = {}): Codec {
  const { replacer, reviver } = json
  const encodeJson = (value: unknown, where: Where, field?: string): string => {
    const segments = field === undefined ? [] : [field]
    const plain =
      replacer === undefined ? value : replaced(replacer, { '': value }, '', value, where, [...segments], new Set())
    checkJson(plain, where, segments, new Set())
    return JSON.stringify(plain)
  }
  const decodeJson = (text: unknown, where: Where): unknown => decodeJsonText(text, where, reviver)
  const encodeColumn = (def: ColumnDef, value: unknown, where: Where, field?: string): SqlValue | typeof OMIT => {
    // `field` extends the path only when an error needs it: no closure per value on the hot path.
    const at = (): (string | number)[] => (field === undefined ? [] : [field])
    if (isDropped(value)) {
      if (def.lazy === true) return OMIT
      if (def.optional === true) return null
      return unstorable(
        where,
        at(),
        `is required by its ${def.type} column but is ${value === undefined ? 'missing' : typeof value}`,
      )
    }
    if (value === null) {
      // null is a JSON value like any other: stored as the text `null`, it comes back as null.
      if (def.type === 'json') return 'null'
      if (def.nullable === true) return null
      return unstorable(where, at(), `is null, but its ${def.type} column is not nullable`)
    }
    switch (def.type) {
      case 'text':
        if (typeof value === 'string') return encodeText(value)
        break
      case 'integer':
        if (Number.isSafeInteger(value)) return value as number
        break
      case 'real':
        if (typeof value === 'number' && Number.isFinite(value)) return value
        break
      case 'boolean':
        if (typeof value === 'boolean') return value ? 1 : 0
        break
      case 'json':
        return encodeJson(value, where, field)
      case 'blob':
        if (value instanceof Uint8Array) return value
        break
    }
    return unstorable(
      where,
      at(),
      `expected ${def.type === 'integer' ? 'a safe integer' : def.type === 'real' ? 'a finite number' : `a ${def.type === 'blob' ? 'Uint8Array' : def.type}`}, got ${typeName(value)}`,
    )
  }

  const decodeColumn = (def: ColumnDef, value: SqlValue, where: Where): unknown => {
    if (value === null) return def.nullable === true ? null : ABSENT
    switch (def.type) {
      case 'boolean':
        return value !== 0
      case 'json':
        return decodeJson(value, where)
      case 'blob':
        // better-sqlite3 returns Buffers; hand back plain Uint8Arrays over the same memory.
        return value instanceof Uint8Array && value.constructor !== Uint8Array
          ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
          : value
      case 'integer':
      case 'real':
        return typeof value === 'bigint' ? Number(value) : value
      case 'text':
        return typeof value === 'string' ? decodeText(value) : value
      default:
        return value
    }
  }
  return { encodeJson, decodeJson, encodeColumn, decodeColumn }
}

/** @internal The codec of a store without JSON options. */
export const defaultCodec: Codec = createCodec()
