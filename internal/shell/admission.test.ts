import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { admit, createAdmission } from './admission.ts'
import { GatewayError } from './errors.ts'

async function errorOf(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError)
    return err as GatewayError
  }
  throw new Error('expected a rejection')
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('createAdmission', () => {
  it('with adaptive, lowers its limit when slots are held much longer than before, and refuses past it', async () => {
    const admission = createAdmission({ maxConcurrent: 16, maxQueue: 0, maxWaitMs: 0, adaptive: { min: 2 } })
    const round = async (holdMs: number) => {
      const releases = await Promise.all(Array.from({ length: admission.limit }, () => admission.acquire()))
      await sleep(holdMs)
      for (const release of releases) release()
    }
    for (let i = 0; i < 8; i++) await round(10)
    const steady = admission.limit
    expect(steady).toBeGreaterThanOrEqual(8) // timer jitter may cut a little, not much
    for (let i = 0; i < 6; i++) await round(200)
    const limit = admission.limit
    expect(limit).toBeLessThan(steady / 2)
    expect(limit).toBeGreaterThanOrEqual(2)
    const held = await Promise.all(Array.from({ length: limit }, () => admission.acquire()))
    expect((await errorOf(admission.acquire())).code).toBe('OVERLOADED')
    for (const release of held) release()
    expect(admission.inFlight).toBe(0)
  })

  it('admits up to maxConcurrent at once, then queues, and counts both', async () => {
    const admission = createAdmission({ maxConcurrent: 2, maxQueue: 1, maxWaitMs: 60_000 })
    const a = await admission.acquire()
    await admission.acquire()
    const waiting = admission.acquire()
    expect([admission.inFlight, admission.queued]).toEqual([2, 1])
    a()
    await waiting
    expect([admission.inFlight, admission.queued]).toEqual([2, 0])
  })

  it('fails fast with OVERLOADED and a Retry-After of 1..30 s when the queue is full', async () => {
    const admission = createAdmission({ maxConcurrent: 1, maxQueue: 0, maxWaitMs: 60_000 })
    await admission.acquire()
    const err = await errorOf(admission.acquire())
    expect(err.code).toBe('OVERLOADED')
    const seconds = Number(err.headers['retry-after'])
    expect(seconds).toBeGreaterThanOrEqual(1)
    expect(seconds).toBeLessThanOrEqual(30)
    expect(admission.queued).toBe(0)
  })

  it('grants waiting requests first in, first out, and a newcomer cannot overtake them', async () => {
    const admission = createAdmission({ maxConcurrent: 1, maxQueue: 3, maxWaitMs: 60_000 })
    const order: string[] = []
    const enqueue = (name: string) => admission.acquire().then((release) => (order.push(name), release))
    let release = await admission.acquire()
    const waiters = [enqueue('a'), enqueue('b'), enqueue('c')]
    release()
    expect([admission.inFlight, admission.queued]).toEqual([1, 2]) // handed over to "a", not freed
    waiters.push(enqueue('d')) // arrives while "a" holds the slot: queues behind "c"
    for (const waiter of waiters) {
      release = await waiter
      release()
    }
    expect(order).toEqual(['a', 'b', 'c', 'd'])
    expect([admission.inFlight, admission.queued]).toEqual([0, 0])
  })

  it('rejects a request that waited longer than maxWaitMs with OVERLOADED, and frees its place', async () => {
    const admission = createAdmission({ maxConcurrent: 1, maxQueue: 1, maxWaitMs: 5 })
    await admission.acquire()
    const err = await errorOf(admission.acquire())
    expect(err.code).toBe('OVERLOADED')
    expect(err.headers['retry-after']).toMatch(/^\d+$/)
    expect(admission.queued).toBe(0)
  })

  it('drops a waiting request whose client went away (CANCELED), making the signal only when it waits', async () => {
    const admission = createAdmission({ maxConcurrent: 1, maxQueue: 2, maxWaitMs: 60_000 })
    let made = 0
    const release = await admission.acquire(() => (made++, undefined))
    expect(made).toBe(0)
    const gone = new AbortController()
    const leaving = admission.acquire(() => (made++, gone.signal))
    const staying = admission.acquire()
    expect([made, admission.queued]).toEqual([1, 2])
    gone.abort()
    expect((await errorOf(leaving)).code).toBe('CANCELED')
    expect(admission.queued).toBe(1)
    release()
    await staying
    expect([admission.inFlight, admission.queued]).toEqual([1, 0])
  })

  it('treats a second release as a no-op', async () => {
    const admission = createAdmission({ maxConcurrent: 1, maxQueue: 1, maxWaitMs: 60_000 })
    const release = await admission.acquire()
    const next = admission.acquire()
    release()
    release()
    await next
    expect([admission.inFlight, admission.queued]).toEqual([1, 0])
  })

  it('keeps metrics in step', async () => {
    const counts = { inFlight: 0, queued: 0, rejected: 0 }
    const gauge = (key: 'inFlight' | 'queued') => ({ inc: () => void counts[key]++, dec: () => void counts[key]-- })
    const admission = createAdmission({
      maxConcurrent: 1,
      maxQueue: 1,
      maxWaitMs: 60_000,
      metrics: { inFlight: gauge('inFlight'), queued: gauge('queued'), rejected: { inc: () => void counts.rejected++ } },
    })
    const release = await admission.acquire()
    const waiting = admission.acquire()
    await errorOf(admission.acquire())
    expect(counts).toEqual({ inFlight: 1, queued: 1, rejected: 1 })
    release()
    ;(await waiting)()
    expect(counts).toEqual({ inFlight: 0, queued: 0, rejected: 1 })
  })

  it.each([
    { maxConcurrent: 0, maxQueue: 0, maxWaitMs: 0 },
    { maxConcurrent: 1.5, maxQueue: 0, maxWaitMs: 0 },
    { maxConcurrent: 1, maxQueue: -1, maxWaitMs: 0 },
    { maxConcurrent: 1, maxQueue: 0, maxWaitMs: Number.NaN },
  ])('refuses bad options %j', (options) => {
    expect(() => createAdmission(options)).toThrow(TypeError)
  })
})

describe('admit', () => {
  const streamingApp = (admission: ReturnType<typeof createAdmission>, body: () => ReadableStream<Uint8Array>) => {
    const app = new Hono()
    app.use('*', admit(admission))
    app.get('/stream', () => new Response(body()))
    app.get('/fail', () => {
      throw new Error('boom')
    })
    app.get('/empty', (c) => c.body(null, 204))
    return app
  }

  it('holds the slot while the response body streams, and frees it when the body ends', async () => {
    const admission = createAdmission({ maxConcurrent: 1, maxQueue: 0, maxWaitMs: 1000 })
    let push!: ReadableStreamDefaultController<Uint8Array>
    const app = streamingApp(admission, () => new ReadableStream({ start: (c) => void (push = c) }))
    const res = await app.request('/stream')
    expect(admission.inFlight).toBe(1) // headers sent, body still coming
    const reader = res.body!.getReader()
    push.enqueue(new Uint8Array([1, 2]))
    expect((await reader.read()).value).toEqual(new Uint8Array([1, 2]))
    expect(admission.inFlight).toBe(1)
    push.close()
    expect((await reader.read()).done).toBe(true)
    expect(admission.inFlight).toBe(0)
  })

  it('frees the slot when the consumer cancels the body, after an error answer, and for bodiless answers', async () => {
    const admission = createAdmission({ maxConcurrent: 1, maxQueue: 0, maxWaitMs: 1000 })
    const app = streamingApp(admission, () => new ReadableStream({ pull: () => new Promise(() => {}) }))
    const res = await app.request('/stream')
    expect(admission.inFlight).toBe(1)
    await res.body!.cancel()
    expect(admission.inFlight).toBe(0)
    const failed = await app.request('/fail')
    expect(failed.status).toBe(500)
    await failed.text()
    expect(admission.inFlight).toBe(0)
    expect((await app.request('/empty')).status).toBe(204)
    expect(admission.inFlight).toBe(0)
  })
})
