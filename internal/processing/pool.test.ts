import { describe, expect, it } from 'vitest'
import { createWorkerPool } from './pool.ts'

/** A job that finishes when the test says so. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

describe('createWorkerPool', () => {
  it('runs at most `workers` jobs, queues up to the capacity and refuses beyond it', async () => {
    const gates = new Map<string, ReturnType<typeof gate>>()
    const started: string[] = []
    const pool = createWorkerPool<string>({
      workers: 2,
      queueCapacity: 1,
      run: async (job) => {
        started.push(job)
        const g = gate()
        gates.set(job, g)
        await g.opened
      },
    })
    expect([pool.offer('a'), pool.offer('b'), pool.offer('c'), pool.offer('d')]).toEqual([true, true, true, false])
    expect({ running: pool.running, queued: pool.queued }).toEqual({ running: 2, queued: 1 })
    await Promise.resolve()
    expect(started).toEqual(['a', 'b'])

    gates.get('a')!.open()
    await expect.poll(() => started).toEqual(['a', 'b', 'c'])
    expect(pool.queued).toBe(0)
    expect(pool.offer('e')).toBe(true)
    gates.get('b')!.open()
    gates.get('c')!.open()
    await expect.poll(() => started).toEqual(['a', 'b', 'c', 'e'])
    gates.get('e')!.open()
    await pool.close()
    expect(pool.running).toBe(0)
  })

  it('removes a queued job before it starts, and close() drops the queue', async () => {
    const g = gate()
    const started: string[] = []
    const pool = createWorkerPool<string>({
      workers: 1,
      queueCapacity: 2,
      run: async (job) => {
        started.push(job)
        await g.opened
      },
    })
    pool.offer('a')
    pool.offer('b')
    pool.offer('c')
    expect(pool.remove('b')).toBe(true)
    expect(pool.remove('a')).toBe(false) // running, not queued
    const closing = pool.close()
    expect(pool.offer('d')).toBe(false)
    g.open()
    expect(await closing).toEqual(['c'])
    expect(started).toEqual(['a'])
  })

  it('survives failing jobs and bases the retry hint on job durations (1 s to 60 s)', async () => {
    let t = 0
    const pool = createWorkerPool<number>({
      workers: 2,
      queueCapacity: 0,
      now: () => t,
      run: async (ms) => {
        t += ms
        throw new Error('job failed')
      },
    })
    expect(pool.retryAfterMs()).toBe(1_000)
    pool.offer(10_000)
    await expect.poll(() => pool.running).toBe(0)
    expect(pool.retryAfterMs()).toBe(5_000) // one slot frees every 10 s / 2 workers
    pool.offer(1_000_000)
    await expect.poll(() => pool.running).toBe(0)
    expect(pool.retryAfterMs()).toBe(60_000)
  })

  it('rejects invalid sizes at construction', () => {
    const run = async (): Promise<void> => undefined
    expect(() => createWorkerPool({ workers: 0, queueCapacity: 1, run })).toThrow(TypeError)
    expect(() => createWorkerPool({ workers: 1.5, queueCapacity: 1, run })).toThrow(TypeError)
    expect(() => createWorkerPool({ workers: 1, queueCapacity: -1, run })).toThrow(TypeError)
  })
})
