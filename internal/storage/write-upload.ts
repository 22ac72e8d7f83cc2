import type { ServiceImpl } from '@connectrpc/connect'
import type { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { isStreamBreak, openChunkStream } from './client-stream.ts'
import type { StorageDeps } from './deps.ts'
import { failedPrecondition, outOfRange, uploadOffsetMismatch } from './errors.ts'
import type { Leases } from './leases.ts'
import { checkNonNegative } from './names.ts'
import { ACTIVE_TTL_MS, after, checkUploadRef, leaseKey, loadUpload, uploadBusy } from './upload-records.ts'

type WriteUploadMethod = Pick<ServiceImpl<typeof StorageService>, 'writeUpload'>

/**
 * WriteUpload: appends from exactly the committed offset. When the stream ends, cleanly or
 * broken (client gone, canceled, deadline), every byte received is fsynced and the new committed
 * offset saved, so GetUpload tells where to continue. Bad input (an oversized or empty chunk, a
 * second header, bytes past the declared size) rolls this stream's bytes back instead.
 */
export function writeUploadMethod({ store, clock }: StorageDeps, leases: Leases): WriteUploadMethod {
  return {
    async writeUpload(requests, ctx) {
      const { header, chunks } = await openChunkStream(requests, ctx.signal, 'WriteUpload')
      const { bucket, uploadId } = checkUploadRef(header)
      checkNonNegative(header.offset, 'header.offset')
      const release = await leases.acquire(leaseKey(bucket, uploadId), ctx.signal)
      if (!release) throw uploadBusy(uploadId)
      try {
        const u = await loadUpload(store, bucket, uploadId, clock())
        if (u.status !== 'active') {
          throw failedPrecondition(`upload "${uploadId}" is ${u.status}: only an ACTIVE upload accepts writes`)
        }
        if (header.offset !== BigInt(u.committedOffset)) throw uploadOffsetMismatch(header.offset, u.committedOffset)
        // A write pushes the expiry back, also while this stream is open.
        await store.saveUpload({ ...u, expireTime: after(clock(), ACTIVE_TTL_MS) })

        const appender = await store.openUploadAppender(bucket, uploadId, u.committedOffset)
        let keep = false
        try {
          for await (const chunk of chunks) {
            if (u.size !== undefined && appender.end + chunk.length > u.size) {
              throw outOfRange(`WriteUpload: bytes past the declared size of ${u.size}; this stream wrote nothing`)
            }
            await appender.write(chunk)
          }
          keep = true
        } catch (e) {
          keep = isStreamBreak(e)
          throw e
        } finally {
          if (keep) {
            await appender.sync()
            await store.saveUpload({ ...u, committedOffset: appender.end, expireTime: after(clock(), ACTIVE_TTL_MS) })
          } else {
            await appender.rollback()
          }
        }
        return { committedOffset: BigInt(appender.end) }
      } finally {
        release()
      }
    },
  }
}
