import { type FileHandle, open } from 'node:fs/promises'
import type { ObjectReader } from '../blob-store.ts'
import { isNotFound, readFully } from './disk-files.ts'
import type { StoredObject } from './disk-layout.ts'
import type { DiskContext } from './disk-objects.ts'

/**
 * Reading an object: the data file of the current generation is opened once, so a reader keeps
 * its generation even if the key is replaced meanwhile (the old file is unlinked, not changed).
 */
export async function openObject(ctx: DiskContext, bucket: string, key: string): Promise<ObjectReader | undefined> {
  for (let attempt = 1; ; attempt++) {
    const object = ctx.index.buckets.get(bucket)?.objects.get(key)
    if (!object) return undefined
    try {
      return reader(await open(ctx.layout.dataFile(bucket, key, object.generation), 'r'), object)
    } catch (e) {
      // Replaced between the lookup and the open: read the new generation.
      if (!isNotFound(e) || attempt === 3) throw e
    }
  }
}

function reader(fh: FileHandle, object: StoredObject): ObjectReader {
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await fh.close()
  }
  return {
    object,
    close,
    async *read(offset, length, chunkSize) {
      try {
        for (let at = offset, end = offset + length; at < end && !closed; ) {
          const n = Math.min(chunkSize, end - at)
          const chunk = await readFully(fh, n, at)
          at += n
          yield chunk
        }
      } finally {
        await close()
      }
    },
  }
}
