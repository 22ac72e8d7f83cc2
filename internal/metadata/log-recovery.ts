import { dataLoss } from './errors.ts'
import { scanFrames } from './frame.ts'
import { decodeEvent, decodeRecord, decodeSnapshotHeader } from './log-codec.ts'
import { eventRevision, type StoredRecord } from './record-store.ts'
import { createRecordState, type RecordState } from './record-state.ts'

/**
 * Rebuilds the state from the newest snapshot and the log segments after it. Pure: the log
 * store reads the files and applies the repair this returns.
 */

export interface LogFile {
  readonly name: string
  readonly bytes: Uint8Array
}

export interface Recovery {
  state: RecordState
  /** The revision of the snapshot the state started from (0 without one). */
  snapshotRevision: bigint
  /** The torn tail of the last segment, to cut off before appending to it. */
  truncate?: { name: string; length: number }
}

/** Reads a snapshot; it was renamed into place only after an fsync, so it must be whole. */
export function readSnapshot(file: LogFile, expectedRevision: bigint): StoredRecord[] {
  const scan = scanFrames(file.bytes)
  const [header, ...entries] = scan.payloads
  if (scan.tail !== 'clean' || !header) throw dataLoss(`${file.name}: the snapshot is damaged at byte ${scan.validLength}`)
  const { revision, count } = decodeSnapshotHeader(header, file.name)
  if (revision !== expectedRevision) throw dataLoss(`${file.name}: the header says revision ${revision}`)
  if (count !== entries.length) throw dataLoss(`${file.name}: ${entries.length} records, the header says ${count}`)
  return entries.map((payload) => decodeRecord(payload, file.name))
}

/**
 * `segments` in order, each holding the revisions after its predecessor's. Only the last one may
 * end in a torn frame (a crash during an append); anything else that fails a check means
 * acknowledged writes may be lost, and recovery refuses (DATA_LOSS) instead of guessing.
 */
export function recoverLog(snapshot: { file: LogFile; revision: bigint } | undefined, segments: readonly LogFile[]): Recovery {
  const snapshotRevision = snapshot?.revision ?? 0n
  const records = snapshot ? readSnapshot(snapshot.file, snapshot.revision) : []
  const state = createRecordState({ records, revision: snapshotRevision })
  let truncate: Recovery['truncate']
  segments.forEach((segment, i) => {
    const scan = scanFrames(segment.bytes)
    if (scan.tail === 'corrupt' || (scan.tail === 'torn' && i !== segments.length - 1)) {
      throw dataLoss(`${segment.name}: damaged at byte ${scan.validLength}, before the end of the log`)
    }
    if (scan.tail === 'torn') truncate = { name: segment.name, length: scan.validLength }
    for (const payload of scan.payloads) {
      const event = decodeEvent(payload, segment.name)
      const revision = eventRevision(event)
      if (revision <= snapshotRevision) continue
      if (revision !== state.revision + 1n) {
        throw dataLoss(`${segment.name}: revision ${revision} follows revision ${state.revision}`)
      }
      state.apply(event)
    }
  })
  return { state, snapshotRevision, ...(truncate && { truncate }) }
}
