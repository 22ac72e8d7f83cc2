import { create } from '@bufbuild/protobuf'
import { timestampFromDate } from '@bufbuild/protobuf/wkt'
import { describe, expect, it } from 'vitest'
import { GetObjectResponseSchema, HeadObjectResponseSchema } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { WatchThingsResponseSchema } from '../../../proto/gen/gatehouse/testing/v1/transcoding_pb.ts'
import { entityHeaders } from './entity-headers.ts'

const object = { size: 10n, contentType: '', etag: '"abc"', generation: 4n, createTime: timestampFromDate(new Date('2026-11-21T10:00:00Z')) }

describe('entityHeaders', () => {
  it("maps a stored object's metadata to HTTP headers", () => {
    expect(entityHeaders(create(HeadObjectResponseSchema, { object }))).toEqual({
      'content-type': 'application/octet-stream',
      'content-length': '10',
      etag: '"abc"',
      'last-modified': 'Sat, 21 Nov 2026 10:00:00 GMT',
      'x-gatehouse-generation': '4',
    })
  })

  it("gives a GetObject range its own length and no validator; chunks and other types add nothing", () => {
    const header = (offset: bigint, length: bigint) => create(GetObjectResponseSchema, { content: { case: 'header', value: { object, offset, length } } })
    expect(entityHeaders(header(0n, 10n))).toMatchObject({ 'content-length': '10', etag: '"abc"' })
    expect(entityHeaders(header(2n, 3n))).not.toHaveProperty('etag')
    expect(entityHeaders(header(2n, 3n))).toMatchObject({ 'content-length': '3' })
    expect(entityHeaders(create(GetObjectResponseSchema, { content: { case: 'chunk', value: new Uint8Array(1) } }))).toBeUndefined()
    expect(entityHeaders(create(HeadObjectResponseSchema))).toBeUndefined()
    expect(entityHeaders(create(WatchThingsResponseSchema))).toBeUndefined()
  })
})
