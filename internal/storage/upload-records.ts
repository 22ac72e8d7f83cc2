import type { BlobStore, UploadRecord } from './blob-store.ts'
import { base64url } from './bytes.ts'
import { aborted, bucketNotFound, uploadNotFound } from './errors.ts'
import { checkBucket, checkUploadId } from './names.ts'

/** Node defaults of the upload lifecycle (storage.proto, Upload.expire_time). */
export const ACTIVE_TTL_MS = 24 * 60 * 60 * 1000
export const FINISHED_TTL_MS = 60 * 60 * 1000

export const after = (now: Date, ms: number) => new Date(now.getTime() + ms)

/** 32 characters of [A-Za-z0-9_-] from 192 random bits: unguessable. */
export const newUploadId = () => base64url(crypto.getRandomValues(new Uint8Array(24)))

export const leaseKey = (bucket: string, uploadId: string) => `${bucket}/${uploadId}`

export const uploadBusy = (uploadId: string) =>
  aborted(
    `upload "${uploadId}" is in use by another WriteUpload, CompleteUpload or AbortUpload call; retry when it ends`,
  )

export function checkUploadRef(req: { bucket: string; uploadId: string }) {
  return { bucket: checkBucket(req.bucket), uploadId: checkUploadId(req.uploadId) }
}

export const isExpired = (u: UploadRecord, now: Date) => now.getTime() >= u.expireTime.getTime()

/**
 * The upload, or NOT_FOUND (unknown bucket, unknown upload, or past its expire_time: an expired
 * upload is forgotten here, its data discarded, whatever its state).
 */
export async function loadUpload(store: BlobStore, bucket: string, uploadId: string, now: Date): Promise<UploadRecord> {
  const upload = await store.getUpload(bucket, uploadId)
  if (upload && !isExpired(upload, now)) return upload
  if (upload) await store.forgetUpload(bucket, uploadId)
  throw (await store.getBucket(bucket)) ? uploadNotFound(bucket, uploadId) : bucketNotFound(bucket)
}

/**
 * Forgets every expired upload (ACTIVE ones past 24 h without writes, finished ones past 1 h)
 * and discards their data. The node runtime calls it periodically; reads also forget lazily.
 */
export async function sweepExpiredUploads(deps: { store: BlobStore; clock?: () => Date }): Promise<number> {
  const now = (deps.clock ?? (() => new Date()))()
  let forgotten = 0
  let afterName: string | undefined
  for (;;) {
    const buckets = await deps.store.listBuckets({ after: afterName, limit: 1000 })
    for (const b of buckets) {
      for (const u of await deps.store.listUploads(b.name)) {
        if (!isExpired(u, now)) continue
        await deps.store.forgetUpload(b.name, u.uploadId)
        forgotten++
      }
    }
    if (buckets.length < 1000) return forgotten
    afterName = buckets[buckets.length - 1]?.name
  }
}
