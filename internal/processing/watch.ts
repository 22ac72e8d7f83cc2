import type { Task } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { isFinal } from './task-store.ts'
import type { TaskListener, TaskRecord, TaskStore } from './task-store.ts'

export interface WatchOptions {
  /** Least time between two progress-only snapshots (state changes are never delayed). */
  readonly progressIntervalMs: number
  /** Resend the unchanged snapshot after this long without a change (0 = never). */
  readonly keepAliveMs: number
}

/**
 * A task's snapshots for WatchTask: the current one at once, then every state change (each one,
 * in order, never coalesced), and progress coalesced to the latest at most once per
 * `progressIntervalMs`. Ends after the snapshot with a final state, or when `signal` aborts
 * (the client went away). Memory per watcher: the state snapshots not yet sent (at most a few,
 * since a task has at most four states) and one flag.
 */
export async function* watchTask(
  store: TaskStore,
  record: TaskRecord,
  signal: AbortSignal,
  options: WatchOptions,
): AsyncGenerator<Task> {
  const states: Task[] = []
  let progress = false
  let wake: (() => void) | undefined
  const listener: TaskListener = (change) => {
    if (change === 'state') {
      states.push(store.snapshot(record))
      progress = false // the state snapshot carries the latest progress too
    } else {
      progress = true
    }
    wake?.()
  }
  /** Resolves on the next change, after `ms` (if > 0), or when the client goes away. */
  const nextEvent = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        wake = undefined
        resolve()
      }
      const timer = ms > 0 ? setTimeout(done, ms) : undefined
      signal.addEventListener('abort', done, { once: true })
      wake = done
    })

  // Subscribed before the first snapshot, so no change is lost while it is being sent.
  record.listeners.add(listener)
  let lastProgressAt = -Infinity
  try {
    const first = store.snapshot(record)
    yield first
    if (isFinal(first.state)) return
    while (!signal.aborted) {
      const state = states.shift()
      if (state) {
        yield state
        if (isFinal(state.state)) return
        continue
      }
      if (progress) {
        const wait = lastProgressAt + options.progressIntervalMs - performance.now()
        if (wait > 0) {
          await sleep(wait, signal)
          continue // a state change may have arrived meanwhile: it goes first
        }
        progress = false
        lastProgressAt = performance.now()
        yield store.snapshot(record)
        continue
      }
      const before = states.length
      await nextEvent(options.keepAliveMs)
      if (!signal.aborted && states.length === before && !progress) yield store.snapshot(record)
    }
  } finally {
    record.listeners.delete(listener)
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
