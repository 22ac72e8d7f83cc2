import { type Hash, createHash } from 'node:crypto'
import { mkdir, open, rm, stat } from 'node:fs/promises'
import type { CommitOptions, CommitResult, UploadAppender, UploadRecord } from '../blob-store.ts'
import { fsyncDir, writeFully } from '../../shell/runtime/durable-files.ts'
import { isNotFound, list, readFully, readJson, remove, writeFileDurably } from './disk-files.ts'
import { uploadFromJson, uploadToJson } from './disk-layout.ts'
import { type DiskContext, bucketLock, commitLocked } from './disk-objects.ts'

/**
 * Resumable uploads on disk: a directory per upload with its record (upload.json, replaced
 * atomically) and its bytes (part). The committed offset in the record is the truth: bytes in
 * `part` beyond it (a crash mid-stream) are cut off when the next appender opens. The SHA-256 is
 * kept incrementally in memory while this process lives; after a restart it is recomputed from
 * `part` once, at completion.
 */
export function createDiskUploads(ctx: DiskContext) {
  const { layout, index } = ctx
  const hashes = new Map<string, { hash: Hash; offset: number }>()
  const hk = (bucket: string, uploadId: string) => `${bucket}/${uploadId}`

  async function save(u: UploadRecord): Promise<void> {
    await writeFileDurably(layout.uploadFile(u.bucket, u.uploadId), uploadToJson(u))
  }

  /** An ACTIVE record without its part while its key holds the object it made: completion crashed before saving. */
  async function repaired(u: UploadRecord): Promise<UploadRecord> {
    if (u.status !== 'active' || (await exists(layout.partFile(u.bucket, u.uploadId)))) return u
    const object = index.buckets.get(u.bucket)?.objects.get(u.key)
    if (object?.uploadId !== u.uploadId) return u
    const fixed: UploadRecord = { ...u, status: 'completed', committedOffset: object.size, object }
    await save(fixed)
    return fixed
  }

  async function digest(bucket: string, uploadId: string, length: number): Promise<Uint8Array> {
    const cached = hashes.get(hk(bucket, uploadId))
    if (cached?.offset === length) return new Uint8Array(cached.hash.copy().digest())
    const hash = createHash('sha256')
    const fh = await open(layout.partFile(bucket, uploadId), 'r')
    try {
      for (let at = 0; at < length; ) {
        const chunk = await readFully(fh, Math.min(1 << 20, length - at), at)
        hash.update(chunk)
        at += chunk.length
      }
    } finally {
      await fh.close()
    }
    hashes.set(hk(bucket, uploadId), { hash: hash.copy(), offset: length })
    return new Uint8Array(hash.digest())
  }

  return {
    createUpload: (u: UploadRecord) =>
      ctx.lock.run(bucketLock(u.bucket), async () => {
        if (!index.buckets.has(u.bucket)) return false
        await mkdir(layout.uploadDir(u.bucket, u.uploadId), { recursive: true })
        const fh = await open(layout.partFile(u.bucket, u.uploadId), 'wx')
        await fh.close()
        await save(u)
        await fsyncDir(layout.uploadsDir(u.bucket))
        hashes.set(hk(u.bucket, u.uploadId), { hash: createHash('sha256'), offset: 0 })
        return true
      }),

    async getUpload(bucket: string, uploadId: string): Promise<UploadRecord | undefined> {
      if (!index.buckets.has(bucket)) return undefined
      const json = await readJson(layout.uploadFile(bucket, uploadId))
      return json === undefined ? undefined : repaired(uploadFromJson(json))
    },

    saveUpload: save,

    async listUploads(bucket: string): Promise<UploadRecord[]> {
      const out: UploadRecord[] = []
      for (const id of await list(layout.uploadsDir(bucket))) {
        const json = await readJson(layout.uploadFile(bucket, id))
        if (json !== undefined) out.push(uploadFromJson(json))
      }
      return out
    },

    async openUploadAppender(bucket: string, uploadId: string, offset: number): Promise<UploadAppender> {
      const fh = await open(layout.partFile(bucket, uploadId), 'r+')
      await fh.truncate(offset)
      const cached = hashes.get(hk(bucket, uploadId))
      const working = cached?.offset === offset ? cached.hash.copy() : undefined
      let end = offset
      return {
        get end() {
          return end
        },
        async write(chunk) {
          await writeFully(fh, chunk, end)
          working?.update(chunk)
          end += chunk.length
        },
        async sync() {
          await fh.sync()
          await fh.close()
          if (working) hashes.set(hk(bucket, uploadId), { hash: working, offset: end })
          else hashes.delete(hk(bucket, uploadId))
        },
        async rollback() {
          await fh.truncate(offset)
          await fh.close()
        },
      }
    },

    uploadDigest: digest,

    async commitUpload(bucket: string, uploadId: string, length: number, o: CommitOptions): Promise<CommitResult> {
      const sha256 = await digest(bucket, uploadId, length)
      const path = layout.partFile(bucket, uploadId)
      return ctx.lock.run(bucketLock(bucket), async () => {
        const fh = await open(path, 'r+')
        try {
          await fh.truncate(length)
          await fh.sync()
        } finally {
          await fh.close()
        }
        const result = await commitLocked(ctx, bucket, { path, size: length, sha256, uploadId }, o)
        if (result.kind === 'committed') hashes.delete(hk(bucket, uploadId))
        return result
      })
    },

    async discardUploadData(bucket: string, uploadId: string): Promise<void> {
      hashes.delete(hk(bucket, uploadId))
      await rm(layout.partFile(bucket, uploadId), { force: true })
    },

    async forgetUpload(bucket: string, uploadId: string): Promise<void> {
      hashes.delete(hk(bucket, uploadId))
      await remove(layout.uploadDir(bucket, uploadId))
    },
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (e) {
    if (isNotFound(e)) return false
    throw e
  }
}
