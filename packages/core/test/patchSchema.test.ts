import { describe, expect, it } from 'vitest'
import { jsonSchemaOf, patchSchema, rules } from '@zustand-sqlite/core'
import type { Rule, Rules } from '@zustand-sqlite/core'

// The rules of a patch as an API describes and checks it: JSON Schema from the same rules that validate, and a
// Standard Schema validator that answers issues instead of throwing.

interface Settings {
  theme: 'light' | 'dark'
  fontSize: number
  name: string
  tags: string[]
  counters: Record<string, number>
  extra: unknown
  enabled: boolean
}

const settingsRules: Rules<Settings> = {
  theme: rules.oneOf('light', 'dark'),
  fontSize: rules.integer({ min: 8, max: 48 }),
  name: rules.string({ minLength: 1, maxLength: 20, pattern: /^[a-z]+$/ }),
  tags: rules.array(rules.string()),
  counters: rules.record(rules.integer({ min: 0 })),
  extra: rules.json(),
  enabled: rules.boolean(),
}

describe('rules as JSON Schema', () => {
  it('describes what each rule accepts', () => {
    expect(jsonSchemaOf(settingsRules.theme)).toEqual({ enum: ['light', 'dark'] })
    expect(jsonSchemaOf(settingsRules.fontSize)).toEqual({ type: 'integer', minimum: 8, maximum: 48 })
    expect(jsonSchemaOf(settingsRules.name)).toEqual({
      type: 'string',
      minLength: 1,
      maxLength: 20,
      pattern: '^[a-z]+$',
    })
    expect(jsonSchemaOf(settingsRules.tags)).toEqual({ type: 'array', items: { type: 'string' } })
    expect(jsonSchemaOf(settingsRules.counters)).toEqual({
      type: 'object',
      additionalProperties: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    })
    expect(jsonSchemaOf(settingsRules.extra)).toEqual({})
    expect(jsonSchemaOf(settingsRules.enabled)).toEqual({ type: 'boolean' })
    // A rule of an app's own, without a schema, accepts anything as far as the description goes.
    const own: Rule<number> = (value) => Number(value)
    expect(jsonSchemaOf(own)).toEqual({})
  })
})

describe('patchSchema as a Standard Schema', () => {
  const schema = patchSchema(settingsRules, { what: 'settings' })

  it('answers the checked patch', () => {
    expect(schema['~standard'].version).toBe(1)
    expect(schema['~standard'].validate({ theme: 'dark', counters: { a: 1 } })).toEqual({
      value: { theme: 'dark', counters: { a: 1 } },
    })
  })

  it('answers the first issue with the path of its field, instead of throwing', () => {
    const cases: [unknown, string[]][] = [
      [{ fontSize: 100 }, ['fontSize']],
      [{ counters: { a: -1 } }, ['counters', 'a']],
      [{ tags: ['x', 3] }, ['tags', '1']],
      [{ unknown: true }, ['unknown']],
      ['not an object', []],
    ]
    for (const [patch, path] of cases) {
      const result = schema['~standard'].validate(patch)
      expect('issues' in result, JSON.stringify(patch)).toBe(true)
      if (!('issues' in result)) continue
      expect(result.issues[0]?.path).toEqual(path)
      // The path is carried apart, not repeated in the message.
      expect(result.issues[0]?.message).not.toMatch(/^settings/)
      expect(result.issues[0]?.message.length).toBeGreaterThan(0)
    }
    expect(schema['~standard'].validate({ fontSize: 100 })).toEqual({
      issues: [{ message: 'expected an integer from 8 to 48, got number 100', path: ['fontSize'] }],
    })
  })

  it('refuses a patch without a required field, and says so in its JSON Schema', () => {
    const create = patchSchema(settingsRules, { what: 'settings', required: ['theme'] })
    expect(create['~standard'].validate({ fontSize: 12 })).toEqual({
      issues: [{ message: 'is required', path: ['theme'] }],
    })
    expect(create['~standard'].validate({ theme: 'light' })).toEqual({ value: { theme: 'light' } })
    expect(create.jsonSchema['required']).toEqual(['theme'])
    expect(schema.jsonSchema['required']).toBeUndefined()
  })

  it('converts itself to JSON Schema in the Standard JSON Schema form', () => {
    const converted = schema['~standard'].jsonSchema.input({ target: 'draft-2020-12' })
    expect(converted).toEqual(schema.jsonSchema)
    // A copy: a caller that edits it changes nothing of the validator's description.
    ;(converted['properties'] as Record<string, unknown>)['theme'] = {}
    expect(schema['~standard'].jsonSchema.output({ target: 'openapi-3.0' })).toEqual(schema.jsonSchema)
  })
})

describe('rules.number', () => {
  it('accepts finite numbers within its bounds, and describes them', () => {
    const rule = rules.number({ min: 0, max: 1.5 })
    expect(rule(0.25, 'ratio')).toBe(0.25)
    for (const bad of [Number.NaN, Infinity, -0.1, 2, '1', null])
      expect(() => rule(bad, 'ratio'), String(bad)).toThrow(/ratio: expected/)
    expect(jsonSchemaOf(rule)).toEqual({ type: 'number', minimum: 0, maximum: 1.5 })
    expect(jsonSchemaOf(rules.number())).toEqual({ type: 'number' })
    expect(rules.number()(-1e300, 'x')).toBe(-1e300)
  })
})

describe('rules.nullable', () => {
  const rule = rules.nullable(rules.string({ minLength: 1 }))

  it('accepts null or what its rule accepts, and describes both', () => {
    expect(rule(null, 'color')).toBeNull()
    expect(rule('red', 'color')).toBe('red')
    expect(() => rule('', 'color')).toThrow(/color: expected a string of at least 1 characters/)
    expect(() => rule(undefined, 'color')).toThrow(/color/)
    expect(jsonSchemaOf(rule)).toEqual({ anyOf: [{ type: 'string', minLength: 1 }, { type: 'null' }] })
  })
})
