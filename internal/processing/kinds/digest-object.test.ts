import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { DigestAlgorithm, TaskState } from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { Task } from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { BUCKET, createHarness, randomData, slowReads } from '../testing.ts'
import type { Harness } from '../testing.ts'

let harness: Harness
afterEach(() => harness.close())

const resultOf = (task: Task) => (task.result?.kind.case === 'digestObject' ? task.result.kind.value : undefined)

describe('digest_object', () => {
  it('computes the SHA-256 of a multi-MiB object, streamed in chunks, with progress up to 100', async () => {
    harness = await createHarness({ progressIntervalMs: 0, storageInterceptors: [slowReads(5)] })
    const data = randomData(5 * 1024 * 1024 + 123)
    const object = await harness.put('big.bin', data)
    const { task } = await harness.processing.submitTask({
      input: { kind: { case: 'digestObject', value: { bucket: BUCKET, key: 'big.bin' } } },
    })
    const seen = await harness.watch(task!.taskId)
    const final = seen.at(-1)!
    expect(final.state).toBe(TaskState.SUCCEEDED)
    const result = resultOf(final)!
    expect(result.algorithm).toBe(DigestAlgorithm.SHA256) // unspecified means SHA-256
    expect(Buffer.from(result.digest).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'))
    expect(result.size).toBe(BigInt(data.byteLength))
    expect(result.generation).toBe(object.generation)

    // Progress: several steps while RUNNING, never going back, 100 only at the end.
    const percents = seen.map((t) => t.progress?.percent ?? 0)
    expect(percents.every((p, i) => i === 0 || p >= percents[i - 1]!)).toBe(true)
    expect(percents.at(-1)).toBe(100)
    expect(percents.filter((p) => p > 0 && p < 100).length).toBeGreaterThan(1)
    const done = seen.map((t) => t.progress?.bytesDone ?? 0n)
    expect(done.every((d, i) => i === 0 || d >= done[i - 1]!)).toBe(true)
    expect(final.progress).toMatchObject({ bytesDone: BigInt(data.byteLength), bytesTotal: BigInt(data.byteLength) })
    expect(seen.map((t) => t.state)).toEqual(expect.arrayContaining([TaskState.RUNNING]))
    expect(seen.filter((t) => t.state === TaskState.SUCCEEDED)).toHaveLength(1) // ends after the final state
  })

  it('computes SHA-512, and the digest of an empty object', async () => {
    harness = await createHarness()
    const data = randomData(300_000)
    await harness.put('mid.bin', data)
    await harness.put('empty', new Uint8Array(0))
    const sha512 = await harness.processing.submitTask({
      input: { kind: { case: 'digestObject', value: { bucket: BUCKET, key: 'mid.bin', algorithm: DigestAlgorithm.SHA512 } } },
    })
    const empty = await harness.processing.submitTask({
      input: { kind: { case: 'digestObject', value: { bucket: BUCKET, key: 'empty' } } },
    })
    const a = resultOf(await harness.settle(sha512.task!.taskId))!
    expect(a.algorithm).toBe(DigestAlgorithm.SHA512)
    expect(a.digest).toEqual(new Uint8Array(createHash('sha512').update(data).digest()))
    const b = await harness.settle(empty.task!.taskId)
    expect(b.progress?.percent).toBe(100)
    expect(resultOf(b)).toMatchObject({ size: 0n, digest: new Uint8Array(createHash('sha256').digest()) })
  })
})
