import { clone, create } from '@bufbuild/protobuf'
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt'
import { TaskSchema, TaskState } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { Task, TaskInput } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'

/** What changed in a task: its state (always reported) or only its progress (coalesced by watchers). */
export type TaskChange = 'state' | 'progress'
export type TaskListener = (change: TaskChange) => void

/** One task the node knows. `task` is the live message: read it through `snapshot()`. */
export interface TaskRecord {
  readonly task: Task
  /** Submission order (newest = highest), the key of ListTasks' ordering and page tokens. */
  readonly seq: number
  /** Set while RUNNING: aborting it stops the task's storage calls. */
  controller?: AbortController
  readonly listeners: Set<TaskListener>
}

export const isFinal = (state: TaskState): boolean =>
  state === TaskState.SUCCEEDED || state === TaskState.FAILED || state === TaskState.CANCELED

/**
 * The node's tasks, in memory only: a restart forgets every task, queued and running ones
 * included. Finished tasks are forgotten `retentionMs` after their end time (checked lazily on
 * every access, oldest first), together with their request id.
 */
export interface TaskStore {
  add(input: TaskInput, requestId: string): TaskRecord
  /** Forgets a task that was never admitted (its submission was refused). */
  discard(record: TaskRecord): void
  get(taskId: string): TaskRecord | undefined
  byRequestId(requestId: string): TaskRecord | undefined
  /** Every known task, newest first. */
  newestFirst(): TaskRecord[]
  /** Applies `mutate` to the live task and tells its watchers; a final state starts its retention. */
  update(record: TaskRecord, change: TaskChange, mutate: (task: Task) => void): void
  /** An immutable copy of the task, safe to send. */
  snapshot(record: TaskRecord): Task
  now(): Date
}

export function createTaskStore(options: { clock: () => Date; retentionMs: number }): TaskStore {
  const { clock, retentionMs } = options
  const byId = new Map<string, TaskRecord>()
  const byRequest = new Map<string, TaskRecord>()
  const finished: TaskRecord[] = []
  let seq = 0

  function forgetExpired(): void {
    const horizon = clock().getTime() - retentionMs
    while (finished.length > 0) {
      const oldest = finished[0]!
      const end = oldest.task.endTime ? timestampDate(oldest.task.endTime).getTime() : 0
      if (end > horizon) return
      finished.shift()
      byId.delete(oldest.task.taskId)
      if (byRequest.get(oldest.task.requestId) === oldest) byRequest.delete(oldest.task.requestId)
    }
  }

  return {
    add(input, requestId) {
      forgetExpired()
      const task = create(TaskSchema, {
        taskId: crypto.randomUUID(),
        input,
        state: TaskState.QUEUED,
        progress: {},
        requestId,
        createTime: timestampFromDate(clock()),
      })
      const record: TaskRecord = { task, seq: ++seq, listeners: new Set() }
      byId.set(task.taskId, record)
      if (requestId !== '') byRequest.set(requestId, record)
      return record
    },
    discard(record) {
      byId.delete(record.task.taskId)
      if (byRequest.get(record.task.requestId) === record) byRequest.delete(record.task.requestId)
    },
    get(taskId) {
      forgetExpired()
      return byId.get(taskId)
    },
    byRequestId(requestId) {
      forgetExpired()
      return byRequest.get(requestId)
    },
    newestFirst() {
      forgetExpired()
      return [...byId.values()].reverse()
    },
    update(record, change, mutate) {
      const wasFinal = isFinal(record.task.state)
      mutate(record.task)
      if (!wasFinal && isFinal(record.task.state)) {
        record.task.endTime ??= timestampFromDate(clock())
        finished.push(record)
      }
      for (const listener of [...record.listeners]) listener(change)
    },
    snapshot(record) {
      return clone(TaskSchema, record.task)
    },
    now: clock,
  }
}
