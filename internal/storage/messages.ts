import type { MessageInitShape } from '@bufbuild/protobuf'
import { timestampFromDate } from '@bufbuild/protobuf/wkt'
import {
  type BucketSchema,
  type ObjectSchema,
  type UploadSchema,
  UploadState,
} from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import type { BucketRecord, ObjectRecord, UploadRecord, UploadStatus } from './blob-store.ts'
import { hex } from './bytes.ts'

/** Store records → protobuf messages (the only place that knows both shapes). */

export function toBucket(b: BucketRecord): MessageInitShape<typeof BucketSchema> {
  return { name: b.name, createTime: timestampFromDate(b.createTime) }
}

export function toObject(o: ObjectRecord): MessageInitShape<typeof ObjectSchema> {
  return {
    bucket: o.bucket,
    key: o.key,
    size: BigInt(o.size),
    sha256: o.sha256,
    contentType: o.contentType,
    createTime: timestampFromDate(o.createTime),
    generation: o.generation,
    etag: `"${hex(o.sha256)}"`,
  }
}

const STATE: Record<UploadStatus, UploadState> = {
  active: UploadState.ACTIVE,
  completed: UploadState.COMPLETED,
  aborted: UploadState.ABORTED,
}

export function toUpload(u: UploadRecord): MessageInitShape<typeof UploadSchema> {
  return {
    uploadId: u.uploadId,
    bucket: u.bucket,
    key: u.key,
    contentType: u.contentType,
    sha256: u.sha256,
    size: u.size === undefined ? undefined : BigInt(u.size),
    ifGenerationMatch: u.ifGenerationMatch,
    committedOffset: BigInt(u.committedOffset),
    state: STATE[u.status],
    createTime: timestampFromDate(u.createTime),
    expireTime: timestampFromDate(u.expireTime),
    object: u.object && toObject(u.object),
  }
}
