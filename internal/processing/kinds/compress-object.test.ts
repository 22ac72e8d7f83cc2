import { createHash } from 'node:crypto'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { Code, ConnectError } from '@connectrpc/connect'
import { afterEach, describe, expect, it } from 'vitest'
import { Codec, TaskState } from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { Task } from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { BUCKET, breakReads, createHarness, randomData, slowReads } from '../testing.ts'
import type { Harness } from '../testing.ts'

let harness: Harness
afterEach(() => harness.close())

const resultOf = (task: Task) => (task.result?.kind.case === 'compressObject' ? task.result.kind.value : undefined)
const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest())

/** Compressible but not trivial: random words. */
function text(size: number): Uint8Array {
  const words = ['gate', 'house', 'storage', 'task', 'queue', 'digest', 'brotli', 'gzip', '\n']
  let s = ''
  while (s.length < size) s += words[Math.floor(Math.random() * words.length)] + ' '
  return new TextEncoder().encode(s.slice(0, size))
}

describe('compress_object', () => {
  it('writes a gzip copy at key + ".gz" that decompresses to the source', async () => {
    harness = await createHarness()
    const data = text(3 * 1024 * 1024 + 7)
    const source = await harness.put('logs/app.log', data)
    const { task } = await harness.processing.submitTask({
      input: { kind: { case: 'compressObject', value: { bucket: BUCKET, key: 'logs/app.log', codec: Codec.GZIP } } },
    })
    const final = await harness.settle(task!.taskId)
    expect(final.state).toBe(TaskState.SUCCEEDED)
    const result = resultOf(final)!
    const stored = await harness.read('logs/app.log.gz')
    expect(sha256(gunzipSync(stored))).toEqual(sha256(data)) // (a deep toEqual of MiBs is slow)
    expect(result).toMatchObject({
      bucket: BUCKET,
      key: 'logs/app.log.gz',
      size: BigInt(stored.byteLength),
      sha256: sha256(stored),
      sourceSize: BigInt(data.byteLength),
      sourceGeneration: source.generation,
    })
    expect(result.size).toBeLessThan(result.sourceSize)
    const { object } = await harness.storage.headObject({ bucket: BUCKET, key: 'logs/app.log.gz' })
    expect(object).toMatchObject({ generation: result.generation, contentType: 'application/gzip' })
    expect(final.progress).toMatchObject({ percent: 100, bytesDone: BigInt(data.byteLength) })
  })

  it('writes a Brotli copy at the target key, replacing an existing object there', async () => {
    harness = await createHarness()
    const data = text(400_000)
    await harness.put('page.html', data)
    const old = await harness.put('out/page.br', new Uint8Array([1, 2, 3]))
    const { task } = await harness.processing.submitTask({
      input: {
        kind: { case: 'compressObject', value: { bucket: BUCKET, key: 'page.html', targetKey: 'out/page.br', codec: Codec.BROTLI } },
      },
    })
    const result = resultOf(await harness.settle(task!.taskId))!
    expect(result.key).toBe('out/page.br')
    expect(result.generation).not.toBe(old.generation)
    expect(sha256(brotliDecompressSync(await harness.read('out/page.br')))).toEqual(sha256(data))
    const { object } = await harness.storage.headObject({ bucket: BUCKET, key: 'out/page.br' })
    expect(object?.contentType).toBe('application/x-brotli')
  })

  it('fails with not_found for a missing source and writes nothing', async () => {
    harness = await createHarness()
    const { task } = await harness.processing.submitTask({
      input: { kind: { case: 'compressObject', value: { bucket: BUCKET, key: 'nope', codec: Codec.GZIP } } },
    })
    const final = await harness.settle(task!.taskId)
    expect(final).toMatchObject({ state: TaskState.FAILED, error: { code: 'not_found' } })
    await expect(harness.storage.headObject({ bucket: BUCKET, key: 'nope.gz' })).rejects.toMatchObject({ code: Code.NotFound })
  })

  it('fails with the storage error when the source stream breaks, and leaves no copy', async () => {
    const dying = new ConnectError('storage node went away', Code.Unavailable)
    harness = await createHarness({ storageInterceptors: [breakReads(3, dying)] })
    await harness.put('src.bin', randomData(4 * 1024 * 1024))
    const { task } = await harness.processing.submitTask({
      input: { kind: { case: 'compressObject', value: { bucket: BUCKET, key: 'src.bin', codec: Codec.GZIP } } },
    })
    const final = await harness.settle(task!.taskId)
    expect(final).toMatchObject({ state: TaskState.FAILED, error: { code: 'unavailable', message: 'storage node went away' } })
    await expect(harness.storage.headObject({ bucket: BUCKET, key: 'src.bin.gz' })).rejects.toMatchObject({
      code: Code.NotFound,
    })
  })

  it('stops a RUNNING task at the next chunk on cancel: CANCELED, and no copy left visible', async () => {
    harness = await createHarness({ workers: 1, storageInterceptors: [slowReads(40)] })
    const data = randomData(12 * 1024 * 1024)
    await harness.put('huge.bin', data)
    const { task } = await harness.processing.submitTask({
      input: { kind: { case: 'compressObject', value: { bucket: BUCKET, key: 'huge.bin', codec: Codec.GZIP } } },
    })
    const taskId = task!.taskId
    const seen: Task[] = []
    let canceled: Task | undefined
    for await (const { task: snapshot } of harness.processing.watchTask({ taskId })) {
      seen.push(snapshot!)
      if (!canceled && snapshot!.state === TaskState.RUNNING && snapshot!.progress!.bytesDone > 0n) {
        canceled = (await harness.processing.cancelTask({ taskId })).task
      }
    }
    expect(canceled).toMatchObject({ state: TaskState.RUNNING, cancelRequested: true })
    const final = seen.at(-1)!
    expect(final).toMatchObject({ state: TaskState.CANCELED, cancelRequested: true })
    expect(final.error).toBeUndefined()
    expect(final.progress!.bytesDone).toBeLessThan(BigInt(data.byteLength))
    await expect(harness.storage.headObject({ bucket: BUCKET, key: 'huge.bin.gz' })).rejects.toMatchObject({
      code: Code.NotFound,
    })
    // Cancel is idempotent: a finished task comes back unchanged.
    const again = await harness.processing.cancelTask({ taskId })
    expect(again.task).toEqual(final)
  })
})
