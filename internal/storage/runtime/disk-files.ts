import { randomBytes } from 'node:crypto'
import { type FileHandle, mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fsyncDir, writeFully } from '../../shell/runtime/durable-files.ts'

/** File-system primitives of the disk store: durable atomic writes, fsync'd directories, quiet removal. */

export const isNotFound = (e: unknown): boolean => (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'

export const randomName = (): string => randomBytes(12).toString('hex')

/** Suffix of the temporary files of atomic writes (removed when a store opens). */
export const TEMP_SUFFIX = '.tmp'

/** Reads exactly `length` bytes at `position` into a new array; fails on a short file. */
export async function readFully(fh: FileHandle, length: number, position: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length)
  let done = 0
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done)
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`)
    done += bytesRead
  }
  return buf
}

/** Replaces `path` atomically and durably: temp file in the same directory, fsync, rename, fsync dir. */
export async function writeFileDurably(path: string, text: string): Promise<void> {
  const temp = `${path}.${randomName()}${TEMP_SUFFIX}`
  const fh = await open(temp, 'wx')
  try {
    await writeFully(fh, new TextEncoder().encode(text), 0)
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    await rename(temp, path)
  } catch (e) {
    await rm(temp, { force: true })
    throw e
  }
  await fsyncDir(dirname(path))
}

/** Parsed JSON, or undefined when the file does not exist. */
export async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'))
  } catch (e) {
    if (isNotFound(e)) return undefined
    throw e
  }
}

/** Names in a directory; empty when it does not exist. */
export async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (e) {
    if (isNotFound(e)) return []
    throw e
  }
}

export const ensureDir = (dir: string) => mkdir(dir, { recursive: true })
export const remove = (path: string) => rm(path, { recursive: true, force: true })
