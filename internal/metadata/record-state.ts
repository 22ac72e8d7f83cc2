import { compareKeys } from './keys.ts'
import { eventKey, eventRevision, type StoreEvent, type StoredRecord } from './record-store.ts'

/**
 * The in-memory state every local store keeps: the records (with a sorted key index for prefix
 * listing) and the history of events since the compacted revision (for watches). It does no
 * I/O and no validation; the caller applies committed events in revision order.
 */
export interface RecordState {
  /** The revision of the last applied event. */
  readonly revision: bigint
  /** History at or below this revision is gone; watches must start above it. */
  readonly compactRevision: bigint
  get(key: string): StoredRecord | undefined
  list(prefix: string, after: string | undefined, limit: number): { records: StoredRecord[]; more: boolean }
  /** Applies the event of revision `revision + 1` and appends it to the history. */
  apply(event: StoreEvent): void
  /**
   * Matching history events from revision `from` on, stopping once `maxBytes` of values are
   * collected. `next` is the first revision not yet examined. Undefined when `from` was compacted.
   */
  eventsFrom(from: bigint, prefix: string, maxBytes: number): { events: StoreEvent[]; next: bigint } | undefined
  /** Drops the history up to and including `upTo` (at most the current revision). */
  compact(upTo: bigint): void
  /** Every record in key order (a consistent copy: records are immutable). */
  all(): StoredRecord[]
}

export interface RecordStateInit {
  records?: Iterable<StoredRecord>
  /** The revision of the snapshot the records come from; also the compacted revision. */
  revision?: bigint
}

export function createRecordState(init: RecordStateInit = {}): RecordState {
  const records = new Map<string, StoredRecord>()
  for (const r of init.records ?? []) records.set(r.key, r)
  const keys = [...records.keys()].sort(compareKeys)
  const history: StoreEvent[] = []
  let revision = init.revision ?? 0n
  let compactRevision = revision

  /** Index of the first key >= `key` (binary search). */
  function lowerBound(key: string): number {
    let lo = 0
    let hi = keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareKeys(keys[mid]!, key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  return {
    get revision() {
      return revision
    },
    get compactRevision() {
      return compactRevision
    },
    get: (key) => records.get(key),
    list(prefix, after, limit) {
      let i = after !== undefined && compareKeys(after, prefix) >= 0 ? lowerBound(after) : lowerBound(prefix)
      if (after !== undefined && keys[i] === after) i++
      const out: StoredRecord[] = []
      for (; i < keys.length && keys[i]!.startsWith(prefix); i++) {
        if (out.length === limit) return { records: out, more: true }
        out.push(records.get(keys[i]!)!)
      }
      return { records: out, more: false }
    },
    apply(event) {
      const rev = eventRevision(event)
      if (rev !== revision + 1n) throw new Error(`event of revision ${rev} applied at revision ${revision}`)
      const key = eventKey(event)
      const i = lowerBound(key)
      const present = keys[i] === key
      if (event.type === 'put') {
        if (!present) keys.splice(i, 0, key)
        records.set(key, event.record)
      } else if (present) {
        keys.splice(i, 1)
        records.delete(key)
      }
      history.push(event)
      revision = rev
    },
    eventsFrom(from, prefix, maxBytes) {
      if (from <= compactRevision) return undefined
      const events: StoreEvent[] = []
      let bytes = 0
      let next = from
      for (let i = Number(from - compactRevision - 1n); i < history.length && bytes < maxBytes; i++, next++) {
        const e = history[i]!
        if (!eventKey(e).startsWith(prefix)) continue
        events.push(e)
        bytes += e.type === 'put' ? e.record.value.length + e.record.key.length : e.key.length
      }
      return { events, next }
    },
    compact(upTo) {
      const target = upTo < revision ? upTo : revision
      if (target <= compactRevision) return
      history.splice(0, Number(target - compactRevision))
      compactRevision = target
    },
    all: () => keys.map((k) => records.get(k)!),
  }
}
