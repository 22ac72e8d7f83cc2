import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { POLICY_TYPES } from '../policies/index.ts'
import { bundleJsonSchema } from './json-schema.ts'

const SCHEMA_FILE = new URL('../../../policies/schema.json', import.meta.url)

describe('bundleJsonSchema', () => {
  it('matches the committed policies/schema.json (regenerate with `gatehouse schema --write`)', async () => {
    const committed = await readFile(SCHEMA_FILE, 'utf8')
    expect(committed).toBe(`${JSON.stringify(bundleJsonSchema(), null, 2)}\n`)
  })

  it('is draft-07, closed, and offers every policy type as a `const` branch', () => {
    const schema = bundleJsonSchema() as {
      $schema: string
      title: string
      additionalProperties: boolean
      properties: { policies: { anyOf: { additionalProperties?: { oneOf: { properties: { type: { const: string } } }[] } }[] } }
    }
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#')
    expect(schema.title).toBeTruthy()
    expect(schema.additionalProperties).toBe(false)
    const branches = schema.properties.policies.anyOf[0]?.additionalProperties?.oneOf ?? []
    expect(branches.map((b) => b.properties.type.const).sort()).toEqual([...POLICY_TYPES.keys()].sort())
  })

  it('shows durations as strings with a pattern (the input side)', () => {
    const text = JSON.stringify(bundleJsonSchema())
    expect(text).toContain('"timeout":{"description":"Time until')
    expect(text).toContain('"pattern":"^(?:\\\\d+(?:\\\\.\\\\d+)?(?:ms|s|m|h))+$"')
  })
})
