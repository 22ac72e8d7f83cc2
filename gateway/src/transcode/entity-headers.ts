import type { Message } from '@bufbuild/protobuf'
import { timestampDate } from '@bufbuild/protobuf/wkt'
import type { GetObjectResponse, HeadObjectResponse, Object$ as StoredObject } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'

/**
 * HTTP headers that describe the entity a response message carries as raw bytes or answers to
 * HEAD about: the storage role's object metadata (content-type, content-length, etag,
 * last-modified), as storage.proto promises for HeadObject and GetObject. Keyed by message type;
 * a type without a mapper adds nothing. Applied only to raw bodies and HEAD answers: a JSON body
 * keeps describing itself.
 */
type EntityHeaders = (message: Message) => Record<string, string> | undefined

const MAPPERS: ReadonlyMap<string, EntityHeaders> = new Map<string, EntityHeaders>([
  ['gatehouse.storage.v1.HeadObjectResponse', (m) => {
    const object = (m as HeadObjectResponse).object
    return object && objectHeaders(object, object.size, true)
  }],
  ['gatehouse.storage.v1.GetObjectResponse', (m) => {
    const content = (m as GetObjectResponse).content
    if (content.case !== 'header' || !content.value.object) return undefined
    const { object, offset, length } = content.value
    // A byte range is a different entity than the object: no validator for it.
    return objectHeaders(object, length, offset === 0n && length === object.size)
  }],
])

export function entityHeaders(message: Message): Record<string, string> | undefined {
  return MAPPERS.get(message.$typeName)?.(message)
}

function objectHeaders(object: StoredObject, length: bigint, whole: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': object.contentType || 'application/octet-stream',
    'content-length': String(length),
    'x-gatehouse-generation': String(object.generation),
  }
  if (whole && object.etag) headers.etag = object.etag
  if (object.createTime) headers['last-modified'] = timestampDate(object.createTime).toUTCString()
  return headers
}
