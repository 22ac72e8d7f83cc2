import { equals } from '@bufbuild/protobuf'
import { Code, ConnectError } from '@connectrpc/connect'
import type { Client, ServiceImpl } from '@connectrpc/connect'
import { ProcessingService, TaskInputSchema, TaskState } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { validateInput } from './kinds/registry.ts'
import { listPage } from './list.ts'
import { overloaded } from './overloaded.ts'
import { createWorkerPool } from './pool.ts'
import { createTaskRunner } from './task-runner.ts'
import { createTaskStore } from './task-store.ts'
import type { TaskRecord } from './task-store.ts'
import { watchTask } from './watch.ts'

export interface ProcessingServiceDeps {
  /** The storage role, east-west (the egress client in a node; a router transport in tests). */
  readonly storage: Client<typeof StorageService>
  /** Tasks running at once (default 2). */
  readonly workers?: number
  /** Tasks waiting for a worker before SubmitTask answers RESOURCE_EXHAUSTED (default 100). */
  readonly queueCapacity?: number
  /** Task timestamps and retention (default `() => new Date()`). */
  readonly clock?: () => Date
  /** How long finished tasks stay known (default 1 h). */
  readonly retentionMs?: number
  /** Least time between two progress-only WatchTask snapshots (default 100 ms, ≤ 10/s). */
  readonly progressIntervalMs?: number
  /** WatchTask resends the unchanged snapshot after this long without a change (default 15 s; 0 = never). */
  readonly keepAliveMs?: number
}

/** The service, ready for `router.service(ProcessingService, impl)`, plus a way to stop it. */
export type ProcessingServiceImpl = ServiceImpl<typeof ProcessingService> & {
  /** Refuses new tasks (UNAVAILABLE), cancels queued and running ones, waits for the workers. */
  close(): Promise<void>
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * The processing role: tasks in memory (a restart forgets them all), run by a bounded worker
 * pool, reading and writing objects through `deps.storage`. See README.md for the semantics.
 */
export function createProcessingService(deps: ProcessingServiceDeps): ProcessingServiceImpl {
  const store = createTaskStore({ clock: deps.clock ?? (() => new Date()), retentionMs: deps.retentionMs ?? 3_600_000 })
  const pool = createWorkerPool<TaskRecord>({
    workers: deps.workers ?? 2,
    queueCapacity: deps.queueCapacity ?? 100,
    run: createTaskRunner({ store, storage: deps.storage }),
  })
  const watchOptions = { progressIntervalMs: deps.progressIntervalMs ?? 100, keepAliveMs: deps.keepAliveMs ?? 15_000 }
  let closed = false

  const find = (taskId: string): TaskRecord => {
    const record = store.get(taskId)
    if (!record) throw new ConnectError(`task "${taskId}" not found`, Code.NotFound)
    return record
  }

  const cancel = (record: TaskRecord): void => {
    if (record.task.state === TaskState.QUEUED) {
      pool.remove(record)
      store.update(record, 'state', (task) => {
        task.state = TaskState.CANCELED
      })
    } else if (record.task.state === TaskState.RUNNING && !record.task.cancelRequested) {
      store.update(record, 'state', (task) => {
        task.cancelRequested = true
      })
      record.controller?.abort()
    }
  }

  return {
    submitTask(req) {
      if (req.requestId !== '' && !REQUEST_ID.test(req.requestId)) {
        throw new ConnectError('request_id: 1 to 128 characters of [A-Za-z0-9._:-]', Code.InvalidArgument)
      }
      validateInput(req.input)
      const earlier = req.requestId === '' ? undefined : store.byRequestId(req.requestId)
      if (earlier) {
        if (!earlier.task.input || !equals(TaskInputSchema, earlier.task.input, req.input)) {
          throw new ConnectError(`request_id "${req.requestId}" was used for another input`, Code.AlreadyExists)
        }
        return { task: store.snapshot(earlier) }
      }
      if (closed) throw new ConnectError('the processing node is shutting down', Code.Unavailable)
      const record = store.add(req.input, req.requestId)
      const task = store.snapshot(record)
      if (!pool.offer(record)) {
        store.discard(record)
        throw overloaded(pool.queueCapacity, pool.retryAfterMs())
      }
      return { task }
    },

    listTasks(req) {
      return listPage(store.newestFirst(), req, store.snapshot)
    },

    getTask(req) {
      return { task: store.snapshot(find(req.taskId)) }
    },

    async *watchTask(req, context) {
      for await (const task of watchTask(store, find(req.taskId), context.signal, watchOptions)) yield { task }
    },

    cancelTask(req) {
      const record = find(req.taskId)
      cancel(record)
      return { task: store.snapshot(record) }
    },

    async close() {
      closed = true
      for (const record of store.newestFirst()) cancel(record)
      await pool.close()
    },
  }
}
