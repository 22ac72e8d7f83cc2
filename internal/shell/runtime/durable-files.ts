import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'

/** fsync a directory, so that renames and creations in it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Writes all of `data` (the file system may write less than asked), at `position` or at the end. */
export async function writeFully(handle: FileHandle, data: Uint8Array, position?: number): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const at = position === undefined ? null : position + done
    done += (await handle.write(data, done, data.length - done, at)).bytesWritten
  }
}
