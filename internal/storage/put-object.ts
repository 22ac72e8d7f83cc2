import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect'
import type { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { equalBytes } from './bytes.ts'
import { openChunkStream } from './client-stream.ts'
import type { StorageDeps } from './deps.ts'
import { bucketNotFound, checksumMismatch, generationMismatch, invalidArgument, outOfRange } from './errors.ts'
import { toObject } from './messages.ts'
import { checkBucket, checkContentType, checkGeneration, checkKey, checkSha256, checkSize } from './names.ts'

type PutObjectMethod = Pick<ServiceImpl<typeof StorageService>, 'putObject'>

/** How long a put without digest and size waits for a cancel that may trail its end of stream. */
const UNVERIFIED_GRACE_MS = 10

/** Resolves when the signal aborts or after `ms`, whichever comes first. */
function abortedWithin(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    if (signal.aborted) done()
  })
}

/**
 * PutObject: the bytes go to a private temporary file as they arrive (one chunk in memory at a
 * time), and become the key's new generation only when the stream ended cleanly and the size,
 * the SHA-256 and the generation precondition hold. Any failure discards the temporary file.
 */
export function putObjectMethod({ store, clock }: StorageDeps): PutObjectMethod {
  return {
    async putObject(requests, ctx) {
      const { header, chunks } = await openChunkStream(requests, ctx.signal, 'PutObject')
      const bucket = checkBucket(header.bucket, 'header.bucket')
      const key = checkKey(header.key, 'header.key')
      const contentType = checkContentType(header.contentType)
      const expected = checkSha256(header.sha256, 'header.sha256')
      const size = checkSize(header.size)
      const ifGenerationMatch = checkGeneration(header.ifGenerationMatch)
      if (!(await store.getBucket(bucket))) throw bucketNotFound(bucket)
      if (ifGenerationMatch !== undefined) {
        // Fail fast; the store checks again atomically with the commit.
        const current = (await store.headObject(bucket, key))?.generation ?? 0n
        if (current !== ifGenerationMatch) throw generationMismatch(key, ifGenerationMatch, current)
      }

      const writer = await store.createObjectWriter(bucket)
      try {
        for await (const chunk of chunks) {
          if (size !== undefined && writer.size + chunk.length > size) {
            throw outOfRange(`PutObject: more bytes than the declared size of ${size}; nothing was written`)
          }
          await writer.write(chunk)
        }
        if (size !== undefined && writer.size !== size) {
          throw invalidArgument(
            `PutObject: the stream ended after ${writer.size} of the declared ${size} bytes; nothing was written`,
          )
        }
        const actual = await writer.finish()
        if (expected.length > 0 && !equalBytes(expected, actual)) throw checksumMismatch(expected, actual, 'PutObject')
        // A Node.js client that cancels over HTTP/2 looks like a clean end of stream at first; the
        // abort follows within milliseconds (client-stream.ts). Without a digest or a size nothing
        // else would notice the truncation, so such a put waits a moment for it.
        if (expected.length === 0 && size === undefined) await abortedWithin(ctx.signal, UNVERIFIED_GRACE_MS)
        if (ctx.signal.aborted) {
          throw new ConnectError('PutObject: the client canceled the stream; nothing was written', Code.Canceled)
        }
        const result = await writer.commit({ key, contentType, createTime: clock(), ifGenerationMatch })
        if (result.kind === 'no-bucket') throw bucketNotFound(bucket)
        if (result.kind === 'precondition-failed') {
          throw generationMismatch(key, ifGenerationMatch ?? 0n, result.current)
        }
        return { object: toObject(result.object) }
      } finally {
        await writer.discard()
      }
    },
  }
}
