import type { ServiceImpl } from '@connectrpc/connect'
import type { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import type { StorageDeps } from './deps.ts'
import { alreadyExists, bucketNotFound, failedPrecondition } from './errors.ts'
import { toBucket } from './messages.ts'
import { checkBucket, pageSize } from './names.ts'
import { decodePageToken, encodePageToken, paginate } from './page-token.ts'

type BucketMethods = Pick<
  ServiceImpl<typeof StorageService>,
  'createBucket' | 'listBuckets' | 'getBucket' | 'deleteBucket'
>

export function bucketMethods({ store, clock }: StorageDeps): BucketMethods {
  return {
    async createBucket(req) {
      const name = checkBucket(req.bucket)
      const bucket = await store.createBucket({ name, createTime: clock() })
      if (!bucket) throw alreadyExists(`bucket "${name}" already exists`)
      return { bucket: toBucket(bucket) }
    },

    async listBuckets(req) {
      const limit = pageSize(req.pageSize)
      const after = decodePageToken(req.pageToken, 'ListBuckets', [])
      const page = await paginate(
        limit,
        (n) => store.listBuckets({ after, limit: n }),
        (b) => b.name,
        (last) => encodePageToken('ListBuckets', [], last),
      )
      return { buckets: page.items.map(toBucket), nextPageToken: page.nextPageToken }
    },

    async getBucket(req) {
      const name = checkBucket(req.bucket)
      const bucket = await store.getBucket(name)
      if (!bucket) throw bucketNotFound(name)
      return { bucket: toBucket(bucket) }
    },

    async deleteBucket(req) {
      const name = checkBucket(req.bucket)
      const result = await store.deleteBucket(name, clock())
      if (result.kind === 'not-found') throw bucketNotFound(name)
      if (result.kind === 'not-empty') {
        const what = [
          result.objects > 0 ? `${result.objects} object(s)` : '',
          result.activeUploads > 0 ? `${result.activeUploads} active upload(s)` : '',
        ].filter(Boolean)
        throw failedPrecondition(`bucket "${name}" is not empty: it holds ${what.join(' and ')}`)
      }
      return {}
    },
  }
}
