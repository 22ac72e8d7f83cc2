import type { DescMessage, JsonObject } from '@bufbuild/protobuf'
import { describe, expect, it } from 'vitest'
import { GetThingRequestSchema, UpdateThingRequestSchema } from '../../../proto/gen/gatehouse/testing/v1/transcoding_pb.ts'
import { assignPathValue, assignQuery } from './field-values.ts'
import type { BoundFields } from './field-values.ts'

const NONE: BoundFields = { path: [], body: undefined }
function query(q: string, bound: BoundFields = NONE, schema: DescMessage = GetThingRequestSchema): JsonObject {
  const tree: JsonObject = {}
  assignQuery(tree, schema, new URLSearchParams(q), bound)
  return tree
}

describe('assignQuery', () => {
  it('builds proto3 JSON keyed by JSON names; bools and enum numbers typed, the rest strings', () => {
    expect(query('filter.display_name=a&filter.flag=false&view=2&filter.colors=1&filter.colors=COLOR_RED&page_size=7')).toEqual({
      filter: { title: 'a', flag: false, colors: [1, 'COLOR_RED'] },
      view: 2,
      pageSize: '7',
    })
  })

  it('sets well-known types that are one JSON scalar (timestamps, durations, wrappers)', () => {
    expect(query('filter.seen=2026-11-21T10:00:00Z&filter.ttl=1.5s&filter.maybe=true')).toEqual({
      filter: { seen: '2026-11-21T10:00:00Z', ttl: '1.5s', maybe: true },
    })
  })

  it('refuses fields bound by the path (and their parents or children) or by the body', () => {
    const byPath: BoundFields = { path: ['filter.inner.id'], body: undefined }
    expect(() => query('filter.inner.id=x', byPath)).toThrow('already binds')
    expect(() => query('filter.inner.level=1', byPath)).not.toThrow()
    expect(() => query('thing.count=1', { path: [], body: 'thing' }, UpdateThingRequestSchema)).toThrow('the body already binds')
    expect(() => query('update_mask=a', { path: [], body: '*' }, UpdateThingRequestSchema)).toThrow('the body already binds')
  })

  it('refuses the same field under its two names', () => {
    expect(() => query('page_size=1&pageSize=2')).toThrow('"pageSize" is set twice')
  })

  it('refuses a bool that is not true or false', () => {
    expect(() => query('filter.flag=1')).toThrow('"filter.flag": "1" is not a bool (true or false)')
  })

  it('names what an unknown dotted parameter got wrong', () => {
    expect(() => query('filter.inner.deep.nope=1')).toThrow('unknown query parameter "filter.inner.deep.nope": gatehouse.testing.v1.Deep has no field "nope"')
    expect(() => query('filter.count.x=1')).toThrow('"filter.count" is not a message')
  })
})

describe('assignPathValue', () => {
  it('sets nested fields from dotted variables', () => {
    const tree: JsonObject = {}
    assignPathValue(tree, UpdateThingRequestSchema, 'thing.id', 'a/b')
    assignPathValue(tree, UpdateThingRequestSchema, 'options.level', '4')
    expect(tree).toEqual({ thing: { id: 'a/b' }, options: { level: '4' } })
  })
})
