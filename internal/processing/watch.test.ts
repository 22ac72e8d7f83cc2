import { create } from '@bufbuild/protobuf'
import { describe, expect, it } from 'vitest'
import { TaskInputSchema, TaskState } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { Task } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { createTaskStore } from './task-store.ts'
import type { TaskRecord, TaskStore } from './task-store.ts'
import { watchTask } from './watch.ts'

// The coalescing rules of WatchTask, on the task store alone (the RPC is covered in
// service.test.ts): every state change, in order; progress at most once per interval.

function setup(): { store: TaskStore; record: TaskRecord } {
  const store = createTaskStore({ clock: () => new Date(), retentionMs: 60_000 })
  const input = create(TaskInputSchema, { kind: { case: 'digestObject', value: { bucket: 'data', key: 'k' } } })
  return { store, record: store.add(input, '') }
}

async function collect(stream: AsyncGenerator<Task>): Promise<Task[]> {
  const out: Task[] = []
  for await (const task of stream) out.push(task)
  return out
}

const setState = (store: TaskStore, record: TaskRecord, state: TaskState): void =>
  store.update(record, 'state', (task) => {
    task.state = state
  })
const setDone = (store: TaskStore, record: TaskRecord, bytesDone: bigint): void =>
  store.update(record, 'progress', (task) => {
    task.progress = { ...task.progress!, bytesDone }
  })

describe('watchTask', () => {
  it('sends the current snapshot, every state change, coalesced progress, and ends after the final state', async () => {
    const { store, record } = setup()
    const seen = collect(watchTask(store, record, new AbortController().signal, { progressIntervalMs: 50, keepAliveMs: 0 }))
    await Promise.resolve()
    setState(store, record, TaskState.RUNNING)
    for (let i = 1n; i <= 1000n; i++) setDone(store, record, i) // one burst: at most one snapshot
    await new Promise((resolve) => setTimeout(resolve, 120))
    setDone(store, record, 2000n)
    setDone(store, record, 3000n)
    setState(store, record, TaskState.SUCCEEDED) // supersedes the pending progress
    const tasks = await seen
    expect(tasks.map((t) => t.state)).toEqual([TaskState.QUEUED, TaskState.RUNNING, TaskState.RUNNING, TaskState.SUCCEEDED])
    expect(tasks[2]!.progress!.bytesDone).toBe(1000n)
    expect(tasks[3]!.progress!.bytesDone).toBe(3000n)
    expect(record.listeners.size).toBe(0)
  })

  it('sends only the final snapshot for a finished task', async () => {
    const { store, record } = setup()
    setState(store, record, TaskState.CANCELED)
    const tasks = await collect(watchTask(store, record, new AbortController().signal, { progressIntervalMs: 50, keepAliveMs: 0 }))
    expect(tasks.map((t) => t.state)).toEqual([TaskState.CANCELED])
  })

  it('resends the unchanged snapshot as a keep-alive and stops when the client goes away', async () => {
    const { store, record } = setup()
    const client = new AbortController()
    const stream = watchTask(store, record, client.signal, { progressIntervalMs: 50, keepAliveMs: 20 })
    expect((await stream.next()).value?.state).toBe(TaskState.QUEUED)
    expect((await stream.next()).value?.state).toBe(TaskState.QUEUED) // keep-alive
    const pending = stream.next()
    client.abort()
    expect((await pending).done).toBe(true)
    expect(record.listeners.size).toBe(0)
  })
})
