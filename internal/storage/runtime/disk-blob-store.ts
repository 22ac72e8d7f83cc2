import { mkdir, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { BlobStore, DeleteBucketResult } from '../blob-store.ts'
import { fsyncDir } from '../../shell/runtime/durable-files.ts'
import { ensureDir, randomName, remove, writeFileDurably } from './disk-files.ts'
import { listKeys, listNames, loadIndex } from './disk-index.ts'
import { bucketToJson, createLayout } from './disk-layout.ts'
import { type DiskContext, bucketLock, createObjectWriter, deleteObject } from './disk-objects.ts'
import { openObject } from './disk-reader.ts'
import { createDiskUploads } from './disk-uploads.ts'
import { createKeyedLock } from './keyed-lock.ts'

/**
 * The storage role's embedded default: a directory on local disk (layout in disk-layout.ts).
 * Every change is written to a temporary file, fsynced and renamed into place, so a crash leaves
 * either the old or the new state, and opening the store removes the leftovers. Bytes stream
 * through one chunk at a time. One process per directory: locking is in-process only.
 */
export async function createDiskBlobStore(dir: string): Promise<BlobStore> {
  const layout = createLayout(dir)
  await ensureDir(dir)
  const ctx: DiskContext = { layout, index: await loadIndex(layout), lock: createKeyedLock() }
  const { buckets } = ctx.index
  const uploads = createDiskUploads(ctx)

  return {
    createBucket: (bucket) =>
      ctx.lock.run(bucketLock(bucket.name), async () => {
        if (buckets.has(bucket.name)) return undefined
        // Built aside, then renamed into place: a bucket directory is complete or absent.
        const staging = join(layout.tmpDir, randomName())
        await mkdir(join(staging, 'objects'), { recursive: true })
        await mkdir(join(staging, 'uploads'))
        await writeFileDurably(join(staging, 'bucket.json'), bucketToJson(bucket))
        await remove(layout.bucketDir(bucket.name)) // a leftover without bucket.json was never a bucket
        await rename(staging, layout.bucketDir(bucket.name))
        await fsyncDir(layout.bucketsDir)
        buckets.set(bucket.name, { record: bucket, objects: new Map(), sorted: undefined })
        return bucket
      }),

    getBucket: async (name) => buckets.get(name)?.record,

    listBuckets: async (options) => listNames(buckets, options),

    deleteBucket: (name, now) =>
      ctx.lock.run(bucketLock(name), async (): Promise<DeleteBucketResult> => {
        const state = buckets.get(name)
        if (!state) return { kind: 'not-found' }
        const live = (await uploads.listUploads(name)).filter(
          (u) => u.status === 'active' && u.expireTime.getTime() > now.getTime(),
        )
        if (state.objects.size > 0 || live.length > 0) {
          return { kind: 'not-empty', objects: state.objects.size, activeUploads: live.length }
        }
        const trash = join(layout.trashDir, randomName())
        await rename(layout.bucketDir(name), trash)
        await fsyncDir(layout.bucketsDir)
        buckets.delete(name)
        await remove(trash)
        return { kind: 'deleted' }
      }),

    listObjects: async (bucket, prefix, options) => {
      const state = buckets.get(bucket)
      return state && listKeys(state, prefix, options)
    },
    headObject: async (bucket, key) => buckets.get(bucket)?.objects.get(key),
    openObject: (bucket, key) => openObject(ctx, bucket, key),
    deleteObject: (bucket, key, ifGenerationMatch) => deleteObject(ctx, bucket, key, ifGenerationMatch),
    createObjectWriter: (bucket) => createObjectWriter(ctx, bucket),

    ...uploads,
  }
}
