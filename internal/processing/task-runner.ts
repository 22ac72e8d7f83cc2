import { create } from '@bufbuild/protobuf'
import type { Client } from '@connectrpc/connect'
import { timestampFromDate } from '@bufbuild/protobuf/wkt'
import { TaskProgressSchema, TaskState } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import type { KindContext } from './kinds/kind.ts'
import { runInput } from './kinds/registry.ts'
import { toTaskError } from './task-error.ts'
import { isFinal } from './task-store.ts'
import type { TaskRecord, TaskStore } from './task-store.ts'

/** Percent shown while running: 100 is kept for SUCCEEDED, so progress ends at 100 only on success. */
const MAX_RUNNING_PERCENT = 99

function percentOf(done: bigint, total: bigint): number {
  if (total <= 0n) return 0
  return Math.min(MAX_RUNNING_PERCENT, Number((done * 10_000n) / total) / 100)
}

/**
 * Runs one task on the calling worker: QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELED. The
 * task's AbortController lives on its record while it runs (CancelTask aborts it). A kind that
 * returns a result has succeeded even if a cancel arrived meanwhile (too late: its last step had
 * committed); an error after an abort is CANCELED; any other error is FAILED with `Task.error`.
 * Never rejects.
 */
export function createTaskRunner(deps: { store: TaskStore; storage: Client<typeof StorageService> }) {
  const { store, storage } = deps

  return async function runTask(record: TaskRecord): Promise<void> {
    if (record.task.state !== TaskState.QUEUED) return
    const controller = new AbortController()
    record.controller = controller
    store.update(record, 'state', (task) => {
      task.state = TaskState.RUNNING
      task.startTime = timestampFromDate(store.now())
    })
    const context: KindContext = {
      storage,
      signal: controller.signal,
      progress(bytesDone, bytesTotal, message) {
        if (isFinal(record.task.state)) return
        store.update(record, 'progress', (task) => {
          task.progress = create(TaskProgressSchema, { percent: percentOf(bytesDone, bytesTotal), bytesDone, bytesTotal, message })
        })
      },
    }
    try {
      const result = await runInput(record.task.input!, context)
      store.update(record, 'state', (task) => {
        task.state = TaskState.SUCCEEDED
        task.result = result
        const bytesTotal = task.progress?.bytesTotal ?? 0n
        task.progress = create(TaskProgressSchema, { percent: 100, bytesDone: bytesTotal, bytesTotal })
      })
    } catch (err) {
      const aborted = controller.signal.aborted
      store.update(record, 'state', (task) => {
        task.state = aborted ? TaskState.CANCELED : TaskState.FAILED
        if (!aborted) task.error = toTaskError(err)
        if (task.progress) task.progress.message = ''
      })
    } finally {
      record.controller = undefined
      // Closes any storage call the kind left open (a stream it stopped reading early).
      controller.abort()
    }
  }
}
