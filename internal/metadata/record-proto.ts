import { create } from '@bufbuild/protobuf'
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt'
import {
  RecordEventSchema,
  RecordEventType,
  RecordSchema,
  type Record,
  type RecordEvent,
} from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import type { StoreEvent, StoredRecord } from './record-store.ts'

/** Conversions between the store's types and the generated messages (wire and disk). */

export const toProtoRecord = (r: StoredRecord): Record =>
  create(RecordSchema, {
    key: r.key,
    value: r.value,
    version: r.version,
    createRevision: r.createRevision,
    modRevision: r.modRevision,
    createTime: timestampFromMs(r.createTime),
    updateTime: timestampFromMs(r.updateTime),
  })

/** PUT: the whole record. DELETE: only `key` and `mod_revision` (metadata.proto RecordEvent). */
export const toProtoEvent = (e: StoreEvent): RecordEvent =>
  e.type === 'put'
    ? create(RecordEventSchema, { type: RecordEventType.PUT, record: toProtoRecord(e.record) })
    : create(RecordEventSchema, { type: RecordEventType.DELETE, record: { key: e.key, modRevision: e.revision } })

/**
 * Undefined when the message is not a complete record. The value is copied: a decoded `bytes`
 * field is a view into the whole buffer (a log segment), which it would otherwise keep alive.
 */
export function fromProtoRecord(p: Record): StoredRecord | undefined {
  if (!p.key || p.version < 1n || p.createRevision < 1n || p.modRevision < p.createRevision) return undefined
  if (!p.createTime || !p.updateTime) return undefined
  return {
    key: p.key,
    value: p.value.slice(),
    version: p.version,
    createRevision: p.createRevision,
    modRevision: p.modRevision,
    createTime: timestampMs(p.createTime),
    updateTime: timestampMs(p.updateTime),
  }
}

export function fromProtoEvent(p: RecordEvent): StoreEvent | undefined {
  if (!p.record) return undefined
  if (p.type === RecordEventType.DELETE && p.record.key && p.record.modRevision >= 1n) {
    return { type: 'delete', key: p.record.key, revision: p.record.modRevision }
  }
  const record = p.type === RecordEventType.PUT ? fromProtoRecord(p.record) : undefined
  return record && { type: 'put', record }
}
