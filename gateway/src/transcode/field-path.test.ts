import { describe, expect, it } from 'vitest'
import { PutBlobRequestSchema, StreamBlobResponseSchema, ThingSchema, UploadBlobRequestSchema } from '../../../proto/gen/gatehouse/testing/v1/transcoding_pb.ts'
import { fieldNamed, fieldValue, isRawField, isRepeatedLeaf, isSingularLeaf, resolveFieldPath } from './field-path.ts'

const field = (name: string) => fieldNamed(ThingSchema, name)!

describe('field paths', () => {
  it('finds fields by proto or JSON name and resolves dotted paths', () => {
    expect(fieldNamed(ThingSchema, 'display_name')).toBe(fieldNamed(ThingSchema, 'title'))
    const chain = resolveFieldPath(ThingSchema, 'inner.deep.note')
    expect(Array.isArray(chain) && chain.map((f) => f.name)).toEqual(['inner', 'deep', 'note'])
    expect(resolveFieldPath(ThingSchema, 'seen.seconds')).toEqual({ reason: '"seen" is not a message' }) // a WKT is one value
  })

  it('classifies leaves and raw fields', () => {
    expect(['count', 'color', 'seen', 'ttl', 'maybe'].every((n) => isSingularLeaf(field(n)))).toBe(true)
    expect(isSingularLeaf(field('inner'))).toBe(false)
    expect(isRepeatedLeaf(field('tags')) && isRepeatedLeaf(field('colors'))).toBe(true)
    expect(isRepeatedLeaf(field('attributes'))).toBe(false)
    expect(isRawField(field('blob'))).toBe(true)
    expect(isRawField(fieldNamed(UploadBlobRequestSchema, 'content')!)).toBe(true) // google.api.HttpBody
    expect(isRawField(field('inner'))).toBe(false)
  })

  it('reads a oneof member only when it is the selected case', () => {
    const chunk = fieldNamed(PutBlobRequestSchema, 'chunk')!
    expect(fieldValue({ content: { case: 'chunk', value: 1 } }, chunk)).toBe(1)
    expect(fieldValue({ content: { case: 'header', value: {} } }, chunk)).toBeUndefined()
    expect(fieldValue({ content: { case: undefined } }, fieldNamed(StreamBlobResponseSchema, 'chunk')!)).toBeUndefined()
  })
})
