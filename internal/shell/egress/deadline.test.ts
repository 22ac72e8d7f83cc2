import { Code, ConnectError } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { egressCallOptions } from './correlation.ts'
import { raceSignal, resolveDeadline, sleep, timeoutFromHeaders } from './deadline.ts'
import { egressOver, failure } from './testing.ts'

const A = 'http://a.test:7001'
const B = 'http://b.test:7001'

describe('resolveDeadline', () => {
  it('takes the earliest of the timeout and the absolute deadline, never the default over them', () => {
    expect(resolveDeadline(1_000, 50, undefined, 30_000)).toBe(1_050)
    expect(resolveDeadline(1_000, 500, 1_200, 30_000)).toBe(1_200)
    expect(resolveDeadline(1_000, 100, 5_000, 30_000)).toBe(1_100)
    expect(resolveDeadline(1_000, undefined, 900, 30_000)).toBe(900) // already past: fails at once
    expect(resolveDeadline(1_000, undefined, undefined, 30_000)).toBe(31_000)
    expect(resolveDeadline(1_000, 0, undefined, 0)).toBeUndefined() // Connect: timeoutMs <= 0 = none
  })
})

describe('timeoutFromHeaders', () => {
  it('reads grpc-timeout in every unit and connect-timeout-ms, and ignores malformed values', () => {
    const t = (h: Record<string, string>) => timeoutFromHeaders(new Headers(h))
    expect(t({ 'grpc-timeout': '2S' })).toBe(2_000)
    expect(t({ 'grpc-timeout': '150m' })).toBe(150)
    expect(t({ 'grpc-timeout': '1H' })).toBe(3_600_000)
    expect(t({ 'grpc-timeout': '3M' })).toBe(180_000)
    expect(t({ 'grpc-timeout': '5000u' })).toBe(5)
    expect(t({ 'grpc-timeout': '7000000n' })).toBe(7)
    expect(t({ 'connect-timeout-ms': '250' })).toBe(250)
    expect(t({ 'grpc-timeout': '123456789S' })).toBeUndefined() // 9 digits
    expect(t({ 'grpc-timeout': '10x', 'connect-timeout-ms': '-1' })).toBeUndefined()
    expect(t({})).toBeUndefined()
  })
})

describe('sleep and raceSignal', () => {
  it('reject with the signal reason as soon as it aborts', async () => {
    const c = new AbortController()
    const slept = sleep(10_000, c.signal)
    const raced = raceSignal(new Promise<never>(() => {}), c.signal)
    c.abort(new ConnectError('deadline', Code.DeadlineExceeded))
    await expect(slept).rejects.toMatchObject({ code: Code.DeadlineExceeded })
    await expect(raced).rejects.toMatchObject({ code: Code.DeadlineExceeded })
  })
})

describe('egress client: deadlines', () => {
  it('ends a call with 50 ms left on slow endpoints with DEADLINE_EXCEEDED within about 50 ms, with no second attempt', async () => {
    const { registry, node, cluster } = egressOver([A, B])
    node(A).delayMs = node(B).delayMs = 1_000
    const started = performance.now()
    const err = await failure(registry.listNodes({}, { timeoutMs: 50 }))
    const elapsed = performance.now() - started
    expect(err.code).toBe(Code.DeadlineExceeded)
    expect(elapsed).toBeGreaterThanOrEqual(40)
    expect(elapsed).toBeLessThan(150)
    await sleep(20, new AbortController().signal) // a retry would have started by now
    expect(cluster.total()).toBe(1)
    // The endpoint was told how long it had (connect-timeout-ms), not more.
    expect(node(A).timeouts[0]).toBeGreaterThan(0)
    expect(node(A).timeouts[0]).toBeLessThanOrEqual(50)
  })

  it('does not start a retry whose backoff would end past the deadline', async () => {
    const retry = { baseBackoffMs: 40, maxBackoffMs: 40 }
    const { registry, node, cluster } = egressOver([A, B], { retry, random: () => 0.99 })
    node(A).mode = 'unavailable'
    node(A).delayMs = 30
    const err = await failure(registry.listNodes({}, { timeoutMs: 50 }))
    expect(err.code).toBe(Code.DeadlineExceeded)
    // Our message, not the deadline timer's ("the operation timed out"): it failed at once, at ~30 ms.
    expect(err.rawMessage).toMatch(/deadline exceeded before another attempt; last attempt: .*a\.test:7001 is down/)
    expect(cluster.total()).toBe(1)
  })

  it('never extends the caller deadline: the earlier of the absolute deadline and timeoutMs reaches the server', async () => {
    const { registry, node } = egressOver([A], { defaultTimeoutMs: 60_000 })
    await registry.listNodes({}, egressCallOptions({ deadline: Date.now() + 1_000, timeoutMs: 5_000 }))
    await registry.listNodes({}, egressCallOptions({ deadline: Date.now() + 5_000, timeoutMs: 200 }))
    await registry.listNodes({}) // no caller deadline: the client's default
    const [first, second, third] = node(A).timeouts
    expect(first).toBeGreaterThan(900)
    expect(first).toBeLessThanOrEqual(1_000)
    expect(second).toBeLessThanOrEqual(200)
    expect(third).toBeGreaterThan(59_000)
    expect(third).toBeLessThanOrEqual(60_000)
  })

  it('fails at once, without an attempt, when the deadline has already passed', async () => {
    const { registry, cluster } = egressOver([A])
    await expect(registry.listNodes({}, egressCallOptions({ deadline: Date.now() - 1 }))).rejects.toMatchObject({ code: Code.DeadlineExceeded })
    expect(cluster.total()).toBe(0)
  })

  it('gives each retry only the time that remains', async () => {
    const { registry, node } = egressOver([A, B])
    node(A).mode = 'unavailable'
    node(A).delayMs = 30
    await registry.listNodes({}, { timeoutMs: 500 })
    expect(node(B).timeouts[0]).toBeLessThanOrEqual(475)
  })
})
