import type { MessageInitShape } from '@bufbuild/protobuf'
import { durationMs } from '@bufbuild/protobuf/wkt'
import { Code, ConnectError } from '@connectrpc/connect'
import { afterEach, describe, expect, it } from 'vitest'
import { Codec, DigestAlgorithm, OverloadedSchema, TaskState } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { TaskInputSchema } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { BUCKET, createHarness, holdReads, randomData } from './testing.ts'
import type { Harness, HarnessOptions } from './testing.ts'

const digest = (key: string): MessageInitShape<typeof TaskInputSchema> => ({
  kind: { case: 'digestObject', value: { bucket: BUCKET, key } },
})

let harness: Harness | undefined
async function start(options: HarnessOptions = {}): Promise<Harness> {
  harness = await createHarness(options)
  return harness
}
afterEach(async () => {
  await harness?.close()
  harness = undefined
})

const codeOf = (err: unknown): Code => ConnectError.from(err).code

describe('ProcessingService: submit, get, errors', () => {
  it('queues a task, returns it QUEUED, and GetTask follows it to SUCCEEDED', async () => {
    const { processing, put, settle } = await start()
    await put('a.bin', randomData(1000))
    const { task } = await processing.submitTask({ input: digest('a.bin') })
    expect(task).toMatchObject({ state: TaskState.QUEUED, requestId: '', cancelRequested: false })
    expect(task!.taskId).toMatch(/^[A-Za-z0-9_-]{1,64}$/)
    expect(task!.createTime).toBeDefined()
    expect(task!.startTime).toBeUndefined()
    const final = await settle(task!.taskId)
    const { task: got } = await processing.getTask({ taskId: task!.taskId })
    expect(got).toEqual(final)
    expect(got).toMatchObject({ state: TaskState.SUCCEEDED, result: { kind: { case: 'digestObject' } } })
    expect(got!.startTime && got!.endTime).toBeDefined()
  })

  it('answers NOT_FOUND for an unknown task on get, watch and cancel', async () => {
    const { processing, watch } = await start()
    await expect(processing.getTask({ taskId: 'nope' })).rejects.toMatchObject({ code: Code.NotFound })
    await expect(watch('nope')).rejects.toMatchObject({ code: Code.NotFound })
    await expect(processing.cancelTask({ taskId: 'nope' })).rejects.toMatchObject({ code: Code.NotFound })
  })

  it.each<[string, MessageInitShape<typeof TaskInputSchema> | undefined, string]>([
    ['no input', undefined, 'a task kind is required'],
    ['no kind', {}, 'a task kind is required'],
    ['a bad bucket', { kind: { case: 'digestObject', value: { bucket: 'No', key: 'k' } } }, 'bucket'],
    ['a bad key', { kind: { case: 'digestObject', value: { bucket: BUCKET, key: 'a//b' } } }, 'key'],
    ['an unknown algorithm', { kind: { case: 'digestObject', value: { bucket: BUCKET, key: 'k', algorithm: 9 as DigestAlgorithm } } }, 'algorithm'],
    ['no codec', { kind: { case: 'compressObject', value: { bucket: BUCKET, key: 'k' } } }, 'codec'],
    [
      'a target equal to the source',
      { kind: { case: 'compressObject', value: { bucket: BUCKET, key: 'k', targetKey: 'k', codec: Codec.GZIP } } },
      'target_key',
    ],
  ])('refuses %s with INVALID_ARGUMENT', async (_, input, message) => {
    const { processing } = await start()
    const err = await processing.submitTask({ input }).catch(ConnectError.from)
    expect(err).toMatchObject({ code: Code.InvalidArgument })
    expect((err as ConnectError).rawMessage).toContain(message)
  })

  it('refuses a malformed request_id', async () => {
    const { processing } = await start()
    const err = await processing.submitTask({ input: digest('k'), requestId: 'has space' }).catch(codeOf)
    expect(err).toBe(Code.InvalidArgument)
  })

  it('fails the task, not the RPC, when the source object does not exist', async () => {
    const { processing, settle } = await start()
    const { task } = await processing.submitTask({ input: digest('missing.bin') })
    const final = await settle(task!.taskId)
    expect(final.state).toBe(TaskState.FAILED)
    expect(final.error).toMatchObject({ code: 'not_found' })
    expect(final.error!.message).toContain('missing.bin')
    expect(final.result).toBeUndefined()
  })
})

describe('ProcessingService: the bounded queue', () => {
  it('answers RESOURCE_EXHAUSTED with an Overloaded detail when the queue is full', async () => {
    const hold = holdReads()
    const { processing, put, settle } = await start({ workers: 1, queueCapacity: 1, storageInterceptors: [hold.interceptor] })
    await put('a.bin', randomData(10))
    const first = await processing.submitTask({ input: digest('a.bin'), requestId: 'r1' }) // running (held)
    const second = await processing.submitTask({ input: digest('a.bin') }) // waiting
    const err = await processing.submitTask({ input: digest('a.bin') }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    )
    expect(err?.code).toBe(Code.ResourceExhausted)
    const [detail] = err!.findDetails(OverloadedSchema)
    expect(detail?.queueCapacity).toBe(1)
    expect(durationMs(detail!.retryAfter!)).toBeGreaterThan(0)
    expect(err!.metadata.get('retry-after')).toMatch(/^[1-9][0-9]*$/)
    // A retried submission of an admitted task still gets its task while the queue is full.
    const retried = await processing.submitTask({ input: digest('a.bin'), requestId: 'r1' })
    expect(retried.task!.taskId).toBe(first.task!.taskId)
    // The refused task left no trace; the admitted ones run once reads resume.
    expect((await processing.listTasks({})).tasks).toHaveLength(2)
    hold.release()
    expect((await settle(first.task!.taskId)).state).toBe(TaskState.SUCCEEDED)
    expect((await settle(second.task!.taskId)).state).toBe(TaskState.SUCCEEDED)
    await expect(processing.submitTask({ input: digest('a.bin') })).resolves.toBeDefined()
  })

  it('cancels a QUEUED task at once and frees its slot', async () => {
    const hold = holdReads()
    const { processing, put, settle } = await start({ workers: 1, queueCapacity: 1, storageInterceptors: [hold.interceptor] })
    await put('a.bin', randomData(10))
    const running = await processing.submitTask({ input: digest('a.bin') })
    const queued = await processing.submitTask({ input: digest('a.bin') })
    const { task } = await processing.cancelTask({ taskId: queued.task!.taskId })
    expect(task).toMatchObject({ state: TaskState.CANCELED, cancelRequested: false })
    expect(task!.endTime).toBeDefined()
    expect(task!.startTime).toBeUndefined()
    const again = await processing.submitTask({ input: digest('a.bin') }) // the slot is free again
    hold.release()
    expect((await settle(running.task!.taskId)).state).toBe(TaskState.SUCCEEDED)
    expect((await settle(again.task!.taskId)).state).toBe(TaskState.SUCCEEDED)
    expect((await processing.getTask({ taskId: queued.task!.taskId })).task!.state).toBe(TaskState.CANCELED)
  })

  it('close() cancels the waiting tasks and refuses new ones with UNAVAILABLE', async () => {
    const hold = holdReads()
    const h = await createHarness({ workers: 1, queueCapacity: 2, storageInterceptors: [hold.interceptor] })
    harness = h
    const a = await h.processing.submitTask({ input: digest('a.bin') })
    const b = await h.processing.submitTask({ input: digest('a.bin') })
    const watching = h.watch(a.task!.taskId)
    await h.close()
    harness = undefined
    expect((await watching).at(-1)?.state).toBe(TaskState.CANCELED)
    expect((await h.processing.getTask({ taskId: b.task!.taskId })).task!.state).toBe(TaskState.CANCELED)
    expect(await h.processing.submitTask({ input: digest('a.bin') }).catch(codeOf)).toBe(Code.Unavailable)
  })
})

describe('ProcessingService: request_id', () => {
  it('returns the earlier task for a repeated request_id, ALREADY_EXISTS for another input', async () => {
    const { processing, put, settle } = await start()
    await put('a.bin', randomData(10))
    const first = await processing.submitTask({ input: digest('a.bin'), requestId: 'req-1' })
    const again = await processing.submitTask({ input: digest('a.bin'), requestId: 'req-1' })
    expect(again.task!.taskId).toBe(first.task!.taskId)
    expect(again.task!.requestId).toBe('req-1')
    await settle(first.task!.taskId)
    const later = await processing.submitTask({ input: digest('a.bin'), requestId: 'req-1' })
    expect(later.task).toMatchObject({ taskId: first.task!.taskId, state: TaskState.SUCCEEDED })
    const err = await processing.submitTask({ input: digest('b.bin'), requestId: 'req-1' }).catch(codeOf)
    expect(err).toBe(Code.AlreadyExists)
    expect((await processing.listTasks({})).tasks).toHaveLength(1)
  })

  it('forgets finished tasks (and their request_id) after the retention period', async () => {
    let now = new Date('2030-01-01T00:00:00Z')
    const { processing, put, settle } = await start({ clock: () => now, retentionMs: 60_000 })
    await put('a.bin', randomData(10))
    const { task } = await processing.submitTask({ input: digest('a.bin'), requestId: 'once' })
    await settle(task!.taskId)
    now = new Date(now.getTime() + 59_000)
    await expect(processing.getTask({ taskId: task!.taskId })).resolves.toBeDefined()
    now = new Date(now.getTime() + 2_000)
    await expect(processing.getTask({ taskId: task!.taskId })).rejects.toMatchObject({ code: Code.NotFound })
    const fresh = await processing.submitTask({ input: digest('a.bin'), requestId: 'once' })
    expect(fresh.task!.taskId).not.toBe(task!.taskId)
  })
})

describe('ProcessingService: ListTasks', () => {
  it('lists newest first, filters by state and pages with a token bound to the filter', async () => {
    const { processing, put, settle } = await start()
    await put('a.bin', randomData(10))
    const ids: string[] = []
    for (const key of ['a.bin', 'x1', 'a.bin', 'x2', 'x3', 'a.bin']) {
      const { task } = await processing.submitTask({ input: digest(key) })
      ids.push(task!.taskId)
    }
    for (const id of ids) await settle(id)
    const all = await processing.listTasks({})
    expect(all.tasks.map((t) => t.taskId)).toEqual([...ids].reverse())
    expect(all.nextPageToken).toBe('')

    const failed = [ids[4], ids[3], ids[1]]
    const page1 = await processing.listTasks({ states: [TaskState.FAILED], pageSize: 2 })
    expect(page1.tasks.map((t) => t.taskId)).toEqual(failed.slice(0, 2))
    expect(page1.nextPageToken).not.toBe('')
    const page2 = await processing.listTasks({ states: [TaskState.FAILED], pageSize: 2, pageToken: page1.nextPageToken })
    expect(page2.tasks.map((t) => t.taskId)).toEqual(failed.slice(2))
    expect(page2.nextPageToken).toBe('')

    const both = await processing.listTasks({ states: [TaskState.SUCCEEDED, TaskState.FAILED], pageSize: 5 })
    expect(both.tasks).toHaveLength(5)
    expect((await processing.listTasks({ states: [TaskState.RUNNING] })).tasks).toEqual([])

    const other = processing.listTasks({ states: [TaskState.SUCCEEDED], pageToken: page1.nextPageToken })
    await expect(other).rejects.toMatchObject({ code: Code.InvalidArgument })
    await expect(processing.listTasks({ pageToken: 'garbage' })).rejects.toMatchObject({ code: Code.InvalidArgument })
    await expect(processing.listTasks({ states: [TaskState.UNSPECIFIED] })).rejects.toMatchObject({
      code: Code.InvalidArgument,
    })
  })
})
