import type { ServiceImpl } from '@connectrpc/connect'
import type { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import type { UploadRecord } from './blob-store.ts'
import { equalBytes, hex } from './bytes.ts'
import type { StorageDeps } from './deps.ts'
import { bucketNotFound, checksumMismatch, failedPrecondition, generationMismatch, invalidArgument } from './errors.ts'
import type { Leases } from './leases.ts'
import { toObject, toUpload } from './messages.ts'
import { checkBucket, checkContentType, checkGeneration, checkKey, checkSha256, checkSize } from './names.ts'
import {
  ACTIVE_TTL_MS,
  FINISHED_TTL_MS,
  after,
  checkUploadRef,
  leaseKey,
  loadUpload,
  newUploadId,
  uploadBusy,
} from './upload-records.ts'

type UploadMethods = Pick<
  ServiceImpl<typeof StorageService>,
  'createUpload' | 'getUpload' | 'completeUpload' | 'abortUpload'
>

/** The resumable upload lifecycle except WriteUpload (write-upload.ts): ACTIVE → COMPLETED | ABORTED. */
export function uploadMethods({ store, clock }: StorageDeps, leases: Leases): UploadMethods {
  /** Runs `fn` holding the upload's lease; ABORTED while another call holds it. */
  async function exclusive<T>(bucket: string, uploadId: string, signal: AbortSignal, fn: () => Promise<T>) {
    const release = await leases.acquire(leaseKey(bucket, uploadId), signal)
    if (!release) throw uploadBusy(uploadId)
    try {
      return await fn()
    } finally {
      release()
    }
  }

  return {
    async createUpload(req) {
      const now = clock()
      const upload: UploadRecord = {
        uploadId: newUploadId(),
        bucket: checkBucket(req.bucket),
        key: checkKey(req.key),
        contentType: checkContentType(req.contentType),
        sha256: checkSha256(req.sha256),
        size: checkSize(req.size),
        ifGenerationMatch: checkGeneration(req.ifGenerationMatch),
        committedOffset: 0,
        status: 'active',
        createTime: now,
        expireTime: after(now, ACTIVE_TTL_MS),
        object: undefined,
      }
      if (!(await store.createUpload(upload))) throw bucketNotFound(upload.bucket)
      return { upload: toUpload(upload) }
    },

    async getUpload(req) {
      const { bucket, uploadId } = checkUploadRef(req)
      await leases.settled(leaseKey(bucket, uploadId))
      return { upload: toUpload(await loadUpload(store, bucket, uploadId, clock())) }
    },

    async completeUpload(req, ctx) {
      const { bucket, uploadId } = checkUploadRef(req)
      const given = checkSha256(req.sha256)
      return exclusive(bucket, uploadId, ctx.signal, async () => {
        const now = clock()
        const u = await loadUpload(store, bucket, uploadId, now)
        if (u.status === 'completed' && u.object) {
          if (given.length > 0 && !equalBytes(given, u.object.sha256)) {
            const was = hex(u.object.sha256)
            throw invalidArgument(`upload "${uploadId}" was completed with sha256 ${was}, not ${hex(given)}`)
          }
          return { object: toObject(u.object) }
        }
        if (u.status !== 'active') throw failedPrecondition(`upload "${uploadId}" is aborted: it cannot be completed`)
        if (given.length > 0 && u.sha256.length > 0 && !equalBytes(given, u.sha256)) {
          throw invalidArgument(`sha256 ${hex(given)} differs from the sha256 ${hex(u.sha256)} given to CreateUpload`)
        }
        if (u.size !== undefined && u.committedOffset !== u.size) {
          throw invalidArgument(`upload "${uploadId}" holds ${u.committedOffset} of its declared ${u.size} bytes`)
        }
        const expected = given.length > 0 ? given : u.sha256
        const actual = await store.uploadDigest(bucket, uploadId, u.committedOffset)
        if (expected.length > 0 && !equalBytes(expected, actual)) {
          await store.saveUpload({ ...u, status: 'aborted', expireTime: after(now, FINISHED_TTL_MS) })
          await store.discardUploadData(bucket, uploadId)
          throw checksumMismatch(expected, actual, `CompleteUpload "${uploadId}" (now ABORTED)`)
        }
        const result = await store.commitUpload(bucket, uploadId, u.committedOffset, {
          key: u.key,
          contentType: u.contentType,
          createTime: now,
          ifGenerationMatch: u.ifGenerationMatch,
        })
        if (result.kind === 'no-bucket') throw bucketNotFound(bucket)
        if (result.kind === 'precondition-failed') {
          throw generationMismatch(u.key, u.ifGenerationMatch ?? 0n, result.current)
        }
        const expireTime = after(now, FINISHED_TTL_MS)
        await store.saveUpload({ ...u, status: 'completed', object: result.object, expireTime })
        return { object: toObject(result.object) }
      })
    },

    async abortUpload(req, ctx) {
      const { bucket, uploadId } = checkUploadRef(req)
      return exclusive(bucket, uploadId, ctx.signal, async () => {
        const now = clock()
        const u = await loadUpload(store, bucket, uploadId, now)
        if (u.status === 'completed') {
          throw failedPrecondition(`upload "${uploadId}" is completed: it cannot be aborted`)
        }
        if (u.status === 'aborted') return { upload: toUpload(u) }
        const done: UploadRecord = { ...u, status: 'aborted', expireTime: after(now, FINISHED_TTL_MS) }
        await store.saveUpload(done)
        await store.discardUploadData(bucket, uploadId)
        return { upload: toUpload(done) }
      })
    },
  }
}
