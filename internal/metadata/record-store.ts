/**
 * The store port of the metadata role: versioned records, one revision counter, watches.
 *
 * Two implementations: `createMemoryStore()` (state-store.ts, nothing persisted) and
 * `openLogStore()` (log-store.ts, the embedded default: an fsynced append-only log). A
 * clustered store (etcd) implements the same interface later; the service never sees which.
 *
 * Failures are `ConnectError`s built by errors.ts, so every store speaks the same vocabulary:
 * - `put`/`delete` with an expected version that does not match: ABORTED + VersionConflict;
 * - `delete` of a missing record: NOT_FOUND;
 * - `watch` from a revision whose history is gone: OUT_OF_RANGE + RevisionCompacted;
 * - a closed or failed store: UNAVAILABLE (a failed commit itself: INTERNAL, outcome unknown).
 * Inputs are validated by the service (keys.ts) before they reach a store.
 */

/** A record as stored. Times are Unix epoch milliseconds. */
export interface StoredRecord {
  readonly key: string
  readonly value: Uint8Array
  /** 1 at creation, +1 per put; a re-created key starts at 1 again. */
  readonly version: bigint
  /** The revision of the write that created the record. */
  readonly createRevision: bigint
  /** The revision of the last write of the record. */
  readonly modRevision: bigint
  readonly createTime: number
  readonly updateTime: number
}

/** One committed write. Every revision has exactly one event. */
export type StoreEvent =
  | { readonly type: 'put'; readonly record: StoredRecord }
  | { readonly type: 'delete'; readonly key: string; readonly revision: bigint }

/** The revision a committed event was written at. */
export const eventRevision = (e: StoreEvent): bigint => (e.type === 'put' ? e.record.modRevision : e.revision)

/** The key a committed event changed. */
export const eventKey = (e: StoreEvent): string => (e.type === 'put' ? e.record.key : e.key)

/** One batch of a watch. */
export interface WatchBatch {
  /** Matching events in revision order; empty in a progress notification. */
  readonly events: readonly StoreEvent[]
  /** Every matching change up to this revision has been delivered: resuming from it + 1 misses nothing. */
  readonly revision: bigint
}

export interface WatchOptions {
  /** Ends the watch (the iterable completes without error). */
  readonly signal: AbortSignal
  /** An empty batch is yielded when nothing matching was delivered for this long. */
  readonly progressIntervalMs: number
}

export interface ListOptions {
  /** Only keys after this one (exclusive): the last key of the previous page. */
  readonly after?: string
  /** At most this many records (>= 1). */
  readonly limit: number
}

export interface RecordStore {
  /** The revision of the last committed write (0 when none). */
  revision(): Promise<bigint>
  /** The record and the revision it was read at. */
  get(key: string): Promise<{ record: StoredRecord | undefined; revision: bigint }>
  /**
   * Creates or replaces a record, durably. `expectedVersion`: unset = unconditional, 0 = must
   * not exist, n = the current version must be n.
   */
  put(key: string, value: Uint8Array, expectedVersion?: bigint): Promise<{ record: StoredRecord }>
  /** Deletes a record, durably; `expectedVersion` as for put. Answers the delete's revision. */
  delete(key: string, expectedVersion?: bigint): Promise<{ revision: bigint }>
  /** Records whose keys start with `prefix`, in UTF-8 byte order of their keys. */
  list(prefix: string, options: ListOptions): Promise<{ records: StoredRecord[]; more: boolean; revision: bigint }>
  /**
   * Changes of keys under `prefix` from `startRevision` on (0 = after the current revision).
   * The first batch comes at once: the backlog, or an empty batch marking the watch as live.
   * Rejects (on first iteration) with OUT_OF_RANGE + RevisionCompacted when the start is at or
   * below the compacted revision, and fails the same way if a slow watcher falls behind a
   * compaction.
   */
  watch(prefix: string, startRevision: bigint, options: WatchOptions): AsyncIterable<WatchBatch>
  /** Stops accepting calls; open watches end with UNAVAILABLE. */
  close(): Promise<void>
}
