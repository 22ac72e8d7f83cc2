import { open, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { fsyncDir, writeFully } from '../shell/runtime/durable-files.ts'
import { encodeFrame } from './frame.ts'
import { encodeRecord, encodeSnapshotHeader } from './log-codec.ts'
import type { RecordState } from './record-state.ts'

/** File names and durable writes of the log store's directory (node:fs, like log-store.ts). */

export const SEGMENT = /^wal-(\d{20})\.log$/
export const SNAPSHOT = /^snapshot-(\d{20})\.snap$/
const pad = (n: bigint): string => n.toString().padStart(20, '0')
export const segmentName = (first: bigint): string => `wal-${pad(first)}.log`
export const snapshotName = (revision: bigint): string => `snapshot-${pad(revision)}.snap`
/** The files of `names` that match `pattern`, with the number in their name, in ascending order. */
export function numbered(names: string[], pattern: RegExp): { name: string; n: bigint }[] {
  const found = names.flatMap((name) => {
    const match = pattern.exec(name)
    return match ? [{ name, n: BigInt(match[1]!) }] : []
  })
  return found.sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : 0))
}

function* snapshotFrames(state: RecordState): Generator<Uint8Array> {
  const records = state.all()
  yield encodeFrame(encodeSnapshotHeader(state.revision, records.length))
  for (const record of records) yield encodeFrame(encodeRecord(record))
}

/** Writes `snapshot-<rev>.snap.tmp` in ~1 MiB writes, fsyncs it, renames it into place, fsyncs the directory. */
export async function writeSnapshot(dir: string, state: RecordState): Promise<void> {
  const tmp = join(dir, `${snapshotName(state.revision)}.tmp`)
  const handle = await open(tmp, 'w')
  try {
    let pending: Uint8Array[] = []
    let size = 0
    const flush = async (): Promise<void> => {
      const buffer = new Uint8Array(size)
      pending.reduce((at, frame) => (buffer.set(frame, at), at + frame.length), 0)
      await writeFully(handle, buffer)
      pending = []
      size = 0
    }
    for (const frame of snapshotFrames(state)) {
      pending.push(frame)
      size += frame.length
      if (size >= 1024 * 1024) await flush()
    }
    await flush()
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, join(dir, snapshotName(state.revision)))
  await fsyncDir(dir)
}
