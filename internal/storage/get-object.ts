import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect'
import type { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import type { StorageDeps } from './deps.ts'
import { bucketNotFound, generationMismatch, objectNotFound, outOfRange } from './errors.ts'
import { toObject } from './messages.ts'
import { MAX_CHUNK_BYTES, checkBucket, checkGeneration, checkKey, checkNonNegative } from './names.ts'

type GetObjectMethod = Pick<ServiceImpl<typeof StorageService>, 'getObject'>

/** GetObject: a header with the metadata and the range served, then chunks of at most 1 MiB. */
export function getObjectMethod({ store }: StorageDeps): GetObjectMethod {
  return {
    async *getObject(req, ctx) {
      const bucket = checkBucket(req.bucket)
      const key = checkKey(req.key)
      const offset = checkNonNegative(req.offset, 'offset')
      const length = checkNonNegative(req.length, 'length')
      const expected = checkGeneration(req.ifGenerationMatch)
      const reader = await store.openObject(bucket, key)
      if (!reader) throw (await store.getBucket(bucket)) ? objectNotFound(bucket, key) : bucketNotFound(bucket)
      // A transport may stop pulling without ever resuming this generator: close the file on abort.
      const onAbort = () => void reader.close()
      ctx.signal.addEventListener('abort', onAbort, { once: true })
      try {
        const { object } = reader
        if (expected !== undefined && object.generation !== expected) {
          throw generationMismatch(key, expected, object.generation)
        }
        if (offset > object.size) {
          throw outOfRange(`offset ${req.offset} is past the end of "${key}" (${object.size} bytes)`)
        }
        const served = length === 0 ? object.size - offset : Math.min(length, object.size - offset)
        yield {
          content: {
            case: 'header',
            value: { object: toObject(object), offset: BigInt(offset), length: BigInt(served) },
          },
        }
        for await (const chunk of reader.read(offset, served, MAX_CHUNK_BYTES)) {
          yield { content: { case: 'chunk', value: chunk } }
        }
        if (ctx.signal.aborted) throw new ConnectError('the client went away', Code.Canceled)
      } finally {
        ctx.signal.removeEventListener('abort', onAbort)
        await reader.close()
      }
    },
  }
}
