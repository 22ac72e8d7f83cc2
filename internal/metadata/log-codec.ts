import { fromBinary, toBinary } from '@bufbuild/protobuf'
import { RecordEventSchema, RecordSchema } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { dataLoss } from './errors.ts'
import { fromProtoEvent, fromProtoRecord, toProtoEvent, toProtoRecord } from './record-proto.ts'
import type { StoreEvent, StoredRecord } from './record-store.ts'

/**
 * Frame payloads. Log entries are `gatehouse.metadata.v1.RecordEvent` messages (the same shape a
 * watch sends, with full records, so the disk format evolves under buf's breaking-change check).
 * A snapshot is a header frame (`GHSNAP01`, u64 LE revision, u64 LE record count) followed by
 * one `Record` message per frame, in key order.
 */

const SNAPSHOT_MAGIC = new TextEncoder().encode('GHSNAP01')
const SNAPSHOT_HEADER_BYTES = SNAPSHOT_MAGIC.length + 16

export const encodeEvent = (event: StoreEvent): Uint8Array => toBinary(RecordEventSchema, toProtoEvent(event))
export const encodeRecord = (record: StoredRecord): Uint8Array => toBinary(RecordSchema, toProtoRecord(record))

/** Decodes a payload whose frame checksum matched; a mismatch here is a format bug or tampering. */
export function decodeEvent(payload: Uint8Array, where: string): StoreEvent {
  let event: StoreEvent | undefined
  try {
    event = fromProtoEvent(fromBinary(RecordEventSchema, payload))
  } catch {
    event = undefined
  }
  if (!event) throw dataLoss(`${where}: a log entry with a valid checksum is not a record event`)
  return event
}

export function decodeRecord(payload: Uint8Array, where: string): StoredRecord {
  let record: StoredRecord | undefined
  try {
    record = fromProtoRecord(fromBinary(RecordSchema, payload))
  } catch {
    record = undefined
  }
  if (!record) throw dataLoss(`${where}: a snapshot entry with a valid checksum is not a record`)
  return record
}

export function encodeSnapshotHeader(revision: bigint, count: number): Uint8Array {
  const bytes = new Uint8Array(SNAPSHOT_HEADER_BYTES)
  bytes.set(SNAPSHOT_MAGIC)
  const view = new DataView(bytes.buffer)
  view.setBigUint64(SNAPSHOT_MAGIC.length, revision, true)
  view.setBigUint64(SNAPSHOT_MAGIC.length + 8, BigInt(count), true)
  return bytes
}

export function decodeSnapshotHeader(payload: Uint8Array, where: string): { revision: bigint; count: number } {
  const magic = payload.subarray(0, SNAPSHOT_MAGIC.length)
  if (payload.length !== SNAPSHOT_HEADER_BYTES || !magic.every((b, i) => b === SNAPSHOT_MAGIC[i])) {
    throw dataLoss(`${where}: not a snapshot header`)
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  return {
    revision: view.getBigUint64(SNAPSHOT_MAGIC.length, true),
    count: Number(view.getBigUint64(SNAPSHOT_MAGIC.length + 8, true)),
  }
}
