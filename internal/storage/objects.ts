import type { ServiceImpl } from '@connectrpc/connect'
import type { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import type { StorageDeps } from './deps.ts'
import { bucketNotFound, generationMismatch, objectNotFound } from './errors.ts'
import { toObject } from './messages.ts'
import { checkBucket, checkGeneration, checkKey, pageSize } from './names.ts'
import { decodePageToken, encodePageToken, paginate } from './page-token.ts'

type ObjectMethods = Pick<ServiceImpl<typeof StorageService>, 'listObjects' | 'headObject' | 'deleteObject'>

export function objectMethods({ store }: StorageDeps): ObjectMethods {
  /** NOT_FOUND for the bucket or, when the bucket exists, for the object. */
  async function missing(bucket: string, key: string) {
    return (await store.getBucket(bucket)) ? objectNotFound(bucket, key) : bucketNotFound(bucket)
  }

  return {
    async listObjects(req) {
      const bucket = checkBucket(req.bucket)
      const limit = pageSize(req.pageSize)
      const bound = [bucket, req.prefix]
      const after = decodePageToken(req.pageToken, 'ListObjects', bound)
      if (!(await store.getBucket(bucket))) throw bucketNotFound(bucket)
      const page = await paginate(
        limit,
        async (n) => (await store.listObjects(bucket, req.prefix, { after, limit: n })) ?? [],
        (o) => o.key,
        (last) => encodePageToken('ListObjects', bound, last),
      )
      return { objects: page.items.map(toObject), nextPageToken: page.nextPageToken }
    },

    async headObject(req) {
      const bucket = checkBucket(req.bucket)
      const key = checkKey(req.key)
      const object = await store.headObject(bucket, key)
      if (!object) throw await missing(bucket, key)
      return { object: toObject(object) }
    },

    async deleteObject(req) {
      const bucket = checkBucket(req.bucket)
      const key = checkKey(req.key)
      const expected = checkGeneration(req.ifGenerationMatch)
      const result = await store.deleteObject(bucket, key, expected)
      if (result.kind === 'not-found') throw await missing(bucket, key)
      if (result.kind === 'precondition-failed') throw generationMismatch(key, expected ?? 0n, result.current)
      return {}
    },
  }
}
