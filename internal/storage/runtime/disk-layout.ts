import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { BucketRecord, ObjectRecord, UploadRecord, UploadStatus } from '../blob-store.ts'

/**
 * Where the disk store keeps things, and how its records look as JSON.
 *
 *   <dir>/generation.json                        {"reserved": "N"}: generations are handed out below N
 *   <dir>/tmp/                                   PutObject bytes in flight (emptied on open)
 *   <dir>/trash/                                 buckets being deleted (emptied on open)
 *   <dir>/buckets/<bucket>/bucket.json           the bucket record
 *   <dir>/buckets/<bucket>/objects/<id>.json     an object's metadata: the commit point
 *   <dir>/buckets/<bucket>/objects/<id>.<generation>.data   its content
 *   <dir>/buckets/<bucket>/uploads/<upload_id>/upload.json  an upload's record (committed offset, state)
 *   <dir>/buckets/<bucket>/uploads/<upload_id>/part         its bytes so far
 *
 * <id> is the lowercase hex SHA-256 of the key (keys may be 1 KiB with "/" in them).
 */
export function createLayout(dir: string) {
  const bucketDir = (bucket: string) => join(dir, 'buckets', bucket)
  const objectsDir = (bucket: string) => join(bucketDir(bucket), 'objects')
  const uploadDir = (bucket: string, uploadId: string) => join(bucketDir(bucket), 'uploads', uploadId)
  return {
    dir,
    generationFile: join(dir, 'generation.json'),
    tmpDir: join(dir, 'tmp'),
    trashDir: join(dir, 'trash'),
    bucketsDir: join(dir, 'buckets'),
    bucketDir,
    bucketFile: (bucket: string) => join(bucketDir(bucket), 'bucket.json'),
    objectsDir,
    uploadsDir: (bucket: string) => join(bucketDir(bucket), 'uploads'),
    metaFile: (bucket: string, key: string) => join(objectsDir(bucket), `${objectId(key)}.json`),
    dataFile: (bucket: string, key: string, generation: bigint) =>
      join(objectsDir(bucket), `${objectId(key)}.${generation}.data`),
    uploadDir,
    uploadFile: (bucket: string, uploadId: string) => join(uploadDir(bucket, uploadId), 'upload.json'),
    partFile: (bucket: string, uploadId: string) => join(uploadDir(bucket, uploadId), 'part'),
  }
}
export type Layout = ReturnType<typeof createLayout>

export const objectId = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex')

/** An object as the disk store keeps it: plus the upload that wrote it (to recognise a retried completion). */
export interface StoredObject extends ObjectRecord {
  readonly uploadId?: string | undefined
}

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'))
const hexOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

export const bucketToJson = (b: BucketRecord) =>
  JSON.stringify({ name: b.name, createTime: b.createTime.toISOString() })

export function bucketFromJson(j: unknown): BucketRecord {
  const o = j as { name: string; createTime: string }
  return { name: o.name, createTime: new Date(o.createTime) }
}

export const objectToJson = (o: StoredObject) => ({
  bucket: o.bucket,
  key: o.key,
  size: o.size,
  sha256: hexOf(o.sha256),
  contentType: o.contentType,
  createTime: o.createTime.toISOString(),
  generation: String(o.generation),
  uploadId: o.uploadId,
})

export function objectFromJson(j: unknown): StoredObject {
  const o = j as ReturnType<typeof objectToJson>
  return {
    bucket: o.bucket,
    key: o.key,
    size: o.size,
    sha256: bytes(o.sha256),
    contentType: o.contentType,
    createTime: new Date(o.createTime),
    generation: BigInt(o.generation),
    uploadId: o.uploadId,
  }
}

export const uploadToJson = (u: UploadRecord) =>
  JSON.stringify({
    ...u,
    sha256: hexOf(u.sha256),
    ifGenerationMatch: u.ifGenerationMatch === undefined ? undefined : String(u.ifGenerationMatch),
    createTime: u.createTime.toISOString(),
    expireTime: u.expireTime.toISOString(),
    object: u.object && objectToJson(u.object),
  })

export function uploadFromJson(j: unknown): UploadRecord {
  const u = j as Record<string, unknown>
  return {
    uploadId: u.uploadId as string,
    bucket: u.bucket as string,
    key: u.key as string,
    contentType: u.contentType as string,
    sha256: bytes(u.sha256 as string),
    size: u.size as number | undefined,
    ifGenerationMatch: u.ifGenerationMatch === undefined ? undefined : BigInt(u.ifGenerationMatch as string),
    committedOffset: u.committedOffset as number,
    status: u.status as UploadStatus,
    createTime: new Date(u.createTime as string),
    expireTime: new Date(u.expireTime as string),
    object: u.object === undefined ? undefined : objectFromJson(u.object),
  }
}
