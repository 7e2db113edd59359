import { describe, expect, it } from 'vitest'
import { patchSchema } from '@zustand-sqlite/core'
import { uiPreferencesRules } from '@zustand-sqlite/store-ui'

describe('the UI preferences patch as JSON Schema', () => {
  it("describes a store package's patch: every field it takes, none required, no other", () => {
    const { jsonSchema } = patchSchema(uiPreferencesRules, { what: 'ui-preferences' })
    expect(jsonSchema['type']).toBe('object')
    expect(jsonSchema['additionalProperties']).toBe(false)
    const properties = jsonSchema['properties'] as Record<string, unknown>
    expect(Object.keys(properties).sort()).toEqual(Object.keys(uiPreferencesRules).sort())
    expect(properties['themeMode']).toEqual({ enum: ['system', 'light', 'dark'] })
    expect(properties['fontSize']).toEqual({ type: 'integer', minimum: 8, maximum: 48 })
  })
})
