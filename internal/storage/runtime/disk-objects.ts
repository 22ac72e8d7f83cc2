import { createHash } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { CommitOptions, CommitResult, DeleteObjectResult, ObjectWriter } from '../blob-store.ts'
import { fsyncDir, writeFully } from '../../shell/runtime/durable-files.ts'
import { randomName, remove, writeFileDurably } from './disk-files.ts'
import type { DiskIndex } from './disk-index.ts'
import { type Layout, type StoredObject, objectToJson } from './disk-layout.ts'
import type { KeyedLock } from './keyed-lock.ts'

/** Objects on disk: write to a temp file, commit by renaming, delete (reading: disk-reader.ts). */
export interface DiskContext {
  readonly layout: Layout
  readonly index: DiskIndex
  /** Held (per bucket) by every change to a bucket: commits, deletes, new uploads. */
  readonly lock: KeyedLock
}

export const bucketLock = (bucket: string) => `bucket:${bucket}`

/** A finished, fsynced file about to become an object's content. */
export interface CommitSource {
  readonly path: string
  readonly size: number
  readonly sha256: Uint8Array
  readonly uploadId?: string
}

/**
 * Makes `source` the key's new generation. The caller holds the bucket lock. The data file is
 * renamed next to the metadata under a name of its own generation; the metadata's atomic
 * replacement is the commit point; the previous generation's data file goes afterwards (open
 * readers keep reading it).
 */
export async function commitLocked(
  ctx: DiskContext,
  bucket: string,
  source: CommitSource,
  o: CommitOptions,
): Promise<CommitResult> {
  const { layout, index } = ctx
  const state = index.buckets.get(bucket)
  if (!state) return { kind: 'no-bucket' }
  const previous = state.objects.get(o.key)
  const current = previous?.generation ?? 0n
  if (o.ifGenerationMatch !== undefined && o.ifGenerationMatch !== current) {
    return { kind: 'precondition-failed', current }
  }
  const generation = await index.nextGeneration()
  const object: StoredObject = {
    bucket,
    key: o.key,
    size: source.size,
    sha256: source.sha256,
    contentType: o.contentType,
    createTime: o.createTime,
    generation,
    uploadId: source.uploadId,
  }
  const data = layout.dataFile(bucket, o.key, generation)
  await rename(source.path, data)
  try {
    await writeFileDurably(layout.metaFile(bucket, o.key), JSON.stringify(objectToJson(object)))
  } catch (e) {
    await rm(data, { force: true })
    throw e
  }
  state.objects.set(o.key, object)
  if (!previous) state.sorted = undefined
  // Best effort: committed is committed; a leftover data file goes when the store next opens.
  else await remove(layout.dataFile(bucket, o.key, previous.generation)).catch(() => {})
  return { kind: 'committed', object }
}

export async function createObjectWriter(ctx: DiskContext, bucket: string): Promise<ObjectWriter> {
  const path = join(ctx.layout.tmpDir, `${randomName()}.part`)
  const fh = await open(path, 'wx')
  const hash = createHash('sha256')
  let size = 0
  let isOpen = true
  let sha256: Uint8Array | undefined
  let committed = false
  const close = async () => {
    if (!isOpen) return
    isOpen = false
    await fh.close()
  }
  return {
    get size() {
      return size
    },
    async write(chunk) {
      await writeFully(fh, chunk, size)
      hash.update(chunk)
      size += chunk.length
    },
    async finish() {
      await fh.sync()
      await close()
      sha256 = new Uint8Array(hash.digest())
      return sha256
    },
    async commit(options) {
      if (!sha256) throw new Error('ObjectWriter.finish() must come before commit()')
      const source = { path, size, sha256 }
      const result = await ctx.lock.run(bucketLock(bucket), () => commitLocked(ctx, bucket, source, options))
      committed = result.kind === 'committed'
      return result
    },
    async discard() {
      if (committed) return
      await close().catch(() => {})
      await rm(path, { force: true })
    },
  }
}

export function deleteObject(ctx: DiskContext, bucket: string, key: string, ifGenerationMatch: bigint | undefined) {
  return ctx.lock.run(bucketLock(bucket), async (): Promise<DeleteObjectResult> => {
    const state = ctx.index.buckets.get(bucket)
    const object = state?.objects.get(key)
    if (!state || !object) return { kind: 'not-found' }
    if (ifGenerationMatch !== undefined && ifGenerationMatch !== object.generation) {
      return { kind: 'precondition-failed', current: object.generation }
    }
    await rm(ctx.layout.metaFile(bucket, key))
    await fsyncDir(ctx.layout.objectsDir(bucket))
    state.objects.delete(key)
    state.sorted = undefined
    await remove(ctx.layout.dataFile(bucket, key, object.generation)).catch(() => {})
    return { kind: 'deleted' }
  })
}
