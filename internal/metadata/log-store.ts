import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { dataLoss } from './errors.ts'
import { encodeFrame } from './frame.ts'
import { encodeEvent } from './log-codec.ts'
import { fsyncDir, writeFully } from '../shell/runtime/durable-files.ts'
import { numbered, SEGMENT, segmentName, SNAPSHOT, writeSnapshot } from './log-files.ts'
import { recoverLog } from './log-recovery.ts'
import type { RecordStore } from './record-store.ts'
import { createStateStore } from './state-store.ts'

/**
 * The embedded metadata store: one node, an append-only log on local disk (with log-files.ts,
 * the only file I/O of the role). Layout of `dir` (see README.md for the frame format):
 *   wal-<first revision, 20 digits>.log      log segments: one framed RecordEvent per commit
 *   snapshot-<revision, 20 digits>.snap      the state at that revision: header + one Record per frame
 * One process per directory.
 */

export interface LogStoreOptions {
  dir: string
  /** Compact (snapshot, then a new segment) before an append once the segment is this large. Default 64 MiB. */
  compactBytes?: number
  /** Unix ms for record times. */
  clock?: () => number
}

export interface LogStore extends RecordStore {
  /** Snapshots the state, starts a new segment and deletes the old ones; watches below it end with OUT_OF_RANGE. */
  compact(): Promise<void>
  /** Bytes in the current log segment. */
  logBytes(): number
}

/** Opens (creating if needed) and recovers the store in `dir`: replay, cut a torn tail, drop obsolete files. */
export async function openLogStore(options: LogStoreOptions): Promise<LogStore> {
  const { dir } = options
  const compactBytes = options.compactBytes ?? 64 * 1024 * 1024
  if (await mkdir(dir, { recursive: true })) await fsyncDir(dirname(dir))
  const names = await readdir(dir)
  for (const name of names.filter((n) => n.endsWith('.tmp'))) await rm(join(dir, name))
  const snapshots = numbered(names, SNAPSHOT)
  const newest = snapshots.at(-1)
  let snapshotRevision = newest?.n ?? 0n
  const segments = numbered(names, SEGMENT)
  // A segment is obsolete when the next one starts at or below the snapshot's revision + 1.
  const live = segments.filter((_, i) => !(segments[i + 1] && segments[i + 1]!.n <= snapshotRevision + 1n))
  if (live[0] && live[0].n > snapshotRevision + 1n) {
    throw dataLoss(`${dir}: the log resumes at ${live[0].name} but the snapshot ends at revision ${snapshotRevision}`)
  }
  const read = async (name: string) => ({ name, bytes: await readFile(join(dir, name)) })
  const recovery = recoverLog(
    newest && { file: await read(newest.name), revision: newest.n },
    await Promise.all(live.map((s) => read(s.name))),
  )
  const state = recovery.state
  if (recovery.truncate) {
    const torn = await open(join(dir, recovery.truncate.name), 'r+')
    await torn.truncate(recovery.truncate.length)
    await torn.sync()
    await torn.close()
  }
  const obsolete = [...snapshots.slice(0, -1), ...segments.filter((s) => !live.includes(s))]
  for (const file of obsolete) await rm(join(dir, file.name))
  const current = live.at(-1)?.name ?? segmentName(state.revision + 1n)
  let handle = await open(join(dir, current), 'a')
  let bytes = (await handle.stat()).size
  // What a killed process wrote but never fsynced is now served: make it durable first.
  await handle.datasync()
  await fsyncDir(dir)

  async function compactNow(): Promise<void> {
    const revision = state.revision
    if (revision === snapshotRevision) return
    await writeSnapshot(dir, state)
    const next = await open(join(dir, segmentName(revision + 1n)), 'a')
    await fsyncDir(dir)
    await handle.close()
    handle = next
    bytes = 0
    snapshotRevision = revision
    const leftovers = await readdir(dir)
    for (const s of numbered(leftovers, SEGMENT)) if (s.n <= revision) await rm(join(dir, s.name))
    for (const s of numbered(leftovers, SNAPSHOT)) if (s.n < revision) await rm(join(dir, s.name))
    await fsyncDir(dir)
    state.compact(revision)
  }

  const store = createStateStore({
    state,
    clock: options.clock,
    async persist(event) {
      if (bytes >= compactBytes) await compactNow()
      const frame = encodeFrame(encodeEvent(event))
      await writeFully(handle, frame)
      await handle.datasync()
      bytes += frame.length
    },
    onClose: () => handle.close(),
  })
  return Object.assign(store, { compact: () => store.exclusive(compactNow), logBytes: () => bytes })
}
