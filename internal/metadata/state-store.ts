import { createChangeSignal } from './change-signal.ts'
import { commitFailed, recordNotFound, revisionCompacted, storeClosed, storeFailed, versionConflict } from './errors.ts'
import type { RecordStore, StoreEvent, WatchBatch } from './record-store.ts'
import { createRecordState, type RecordState } from './record-state.ts'

/** Values per watch batch: a batch may exceed it by one event (gRPC clients often cap messages at 4 MiB). */
const BATCH_BYTES = 2 * 1024 * 1024

export interface StateStoreOptions {
  /** The state to start from (recovered from disk); empty by default. */
  state?: RecordState
  /** Makes a prepared event durable; runs one at a time, before the event is applied. */
  persist?: (event: StoreEvent, state: RecordState) => Promise<void>
  /** Unix ms for create/update times. */
  clock?: () => number
  /** Runs once in the write queue when the store closes (e.g. closes the log file). */
  onClose?: () => Promise<void>
  /** Keep at most this many events of history (older watch starts: OUT_OF_RANGE). Default: all. */
  retainHistory?: number
}

/** A RecordStore over an in-memory state, plus what its owner (the log store) needs. */
export interface StateStore extends RecordStore {
  readonly state: RecordState
  /** Runs `fn` in the write queue: no commit runs concurrently with it. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>
}

/** A store that keeps everything in memory (tests, ephemeral nodes), with the last 10,000 events of history. */
export const createMemoryStore = (options: { clock?: () => number; retainHistory?: number } = {}): StateStore =>
  createStateStore({ retainHistory: 10_000, ...options })

/**
 * The commit path shared by local stores: writes are serialized, checked against the state
 * (compare-and-set), made durable by `persist`, then applied and announced to watchers, and only
 * then acknowledged. A failed `persist` stops all later writes (fail-stop: the log may hold a
 * partial frame, so appending after it is unsafe; recovery on restart repairs it).
 */
export function createStateStore(options: StateStoreOptions = {}): StateStore {
  const state = options.state ?? createRecordState()
  const clock = options.clock ?? Date.now
  const changes = createChangeSignal()
  let queue: Promise<unknown> = Promise.resolve()
  let failure: unknown
  let closed = false

  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(() => {
      if (closed) throw storeClosed()
      return fn()
    })
    queue = run.catch(() => undefined)
    return run
  }

  async function commit(event: StoreEvent): Promise<void> {
    if (failure !== undefined) throw storeFailed(failure)
    try {
      await options.persist?.(event, state)
    } catch (err) {
      failure = err
      throw commitFailed(err)
    }
    state.apply(event)
    const retain = options.retainHistory
    if (retain !== undefined && state.revision - state.compactRevision > retain) state.compact(state.revision - BigInt(retain))
    changes.notify()
  }

  /** Progress is due `progressIntervalMs` after the last batch, however many non-matching writes woke the loop. */
  async function* watch(prefix: string, start: bigint, o: { signal: AbortSignal; progressIntervalMs: number }): AsyncGenerator<WatchBatch> {
    let next = start === 0n ? state.revision + 1n : start
    let first = true
    let lastSent = performance.now()
    while (!o.signal.aborted) {
      if (closed) throw storeClosed()
      const found = state.eventsFrom(next, prefix, BATCH_BYTES)
      if (!found) throw revisionCompacted(state.compactRevision, next)
      next = found.next
      const quietFor = performance.now() - lastSent
      if (found.events.length > 0 || first || quietFor >= o.progressIntervalMs) {
        first = false
        yield { events: found.events, revision: next - 1n < state.revision ? next - 1n : state.revision }
        lastSent = performance.now()
        continue // re-read before sleeping: commits made while suspended in `yield` are not missed
      }
      await changes.wait({ signal: o.signal, timeoutMs: o.progressIntervalMs - quietFor })
    }
  }

  return {
    state,
    exclusive,
    revision: async () => state.revision,
    async get(key) {
      if (closed) throw storeClosed()
      return { record: state.get(key), revision: state.revision }
    },
    put: (key, value, expected) =>
      exclusive(async () => {
        const current = state.get(key)
        if (expected !== undefined && (current?.version ?? 0n) !== expected) {
          throw versionConflict(key, expected, current?.version ?? 0n)
        }
        const now = clock()
        const revision = state.revision + 1n
        const record = current
          ? { ...current, value, version: current.version + 1n, modRevision: revision, updateTime: now }
          : { key, value, version: 1n, createRevision: revision, modRevision: revision, createTime: now, updateTime: now }
        await commit({ type: 'put', record })
        return { record }
      }),
    delete: (key, expected) =>
      exclusive(async () => {
        const current = state.get(key)
        if (!current) throw recordNotFound(key)
        if (expected !== undefined && current.version !== expected) throw versionConflict(key, expected, current.version)
        const revision = state.revision + 1n
        await commit({ type: 'delete', key, revision })
        return { revision }
      }),
    async list(prefix, { after, limit }) {
      if (closed) throw storeClosed()
      return { ...state.list(prefix, after, limit), revision: state.revision }
    },
    watch: (prefix, start, o) => watch(prefix, start, o),
    async close() {
      await exclusive(async () => {
        closed = true
        changes.notify()
        await options.onClose?.()
      }).catch(() => undefined)
    },
  }
}
