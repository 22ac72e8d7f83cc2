import { describe, expect, it } from 'vitest'
import { createBreaker, resolveBreakerOptions } from './breaker.ts'
import type { BreakerOptions } from './breaker.ts'
import { manualClock } from './testing.ts'

function breaker(options: Partial<BreakerOptions> = {}) {
  const clock = manualClock()
  return { clock, b: createBreaker(resolveBreakerOptions(options), clock.now) }
}

const fail = (b: ReturnType<typeof createBreaker>, n = 1) => {
  for (let i = 0; i < n; i++) b.acquire()?.failure()
}
const succeed = (b: ReturnType<typeof createBreaker>, n = 1) => {
  for (let i = 0; i < n; i++) b.acquire()?.success()
}

describe('circuit breaker', () => {
  it('opens after N consecutive failures; a success in between resets the count', () => {
    const { b } = breaker({ consecutiveFailures: 3 })
    fail(b, 2)
    succeed(b)
    fail(b, 2)
    expect(b.state).toBe('closed')
    fail(b)
    expect(b.state).toBe('open')
    expect(b.acquire()).toBeUndefined()
  })

  it('opens on the error rate over the window once it holds minRequests', () => {
    const { b, clock } = breaker({ consecutiveFailures: 100, minRequests: 10, failureRate: 0.5, windowMs: 10_000 })
    for (let i = 0; i < 4; i++) {
      fail(b)
      succeed(b)
    }
    fail(b) // 5 failures of 9: below minRequests
    expect(b.state).toBe('closed')
    succeed(b) // 5 of 10, but the check happens on a failure
    clock.advance(10_000) // the window slides past all of them
    fail(b, 4)
    succeed(b, 6)
    expect(b.state).toBe('closed') // 4 of 10
    fail(b) // 5 of 11 < 50 %
    expect(b.state).toBe('closed')
    fail(b) // 6 of 12
    expect(b.state).toBe('open')
  })

  it('half-opens after the cooldown with a limited number of probes; a success closes it', () => {
    const { b, clock } = breaker({ consecutiveFailures: 1, cooldownMs: 1_000, halfOpenProbes: 2 })
    fail(b)
    clock.advance(999)
    expect(b.state).toBe('open')
    clock.advance(1)
    expect(b.state).toBe('half_open')
    const p1 = b.acquire()
    const p2 = b.acquire()
    expect(p1 && p2).toBeTruthy()
    expect(b.acquire()).toBeUndefined() // both probes in flight
    p1?.release() // a canceled probe frees its slot
    const p3 = b.acquire()
    expect(p3).toBeDefined()
    p2?.success()
    expect(b.state).toBe('closed')
    p3?.failure() // an outcome from before the transition is ignored
    expect(b.state).toBe('closed')
  })

  it('ejects for longer on each ejection in a row, up to the cap, and forgets after a healthy spell', () => {
    const { b, clock } = breaker({ consecutiveFailures: 1, cooldownMs: 1_000, maxCooldownMs: 2_500 })
    const openFor = () => {
      let ms = 0
      while (b.state === 'open') {
        clock.advance(100)
        ms += 100
      }
      return ms
    }
    fail(b)
    expect(openFor()).toBe(1_000)
    fail(b) // the probe fails
    expect(openFor()).toBe(2_000)
    fail(b)
    expect(openFor()).toBe(2_500) // capped
    expect(b.ejections).toBe(3)
    succeed(b) // recovered
    clock.advance(2_500)
    fail(b)
    expect(b.ejections).toBe(1)
    expect(openFor()).toBe(1_000)
  })

  it('ignores settling a permit twice', () => {
    const { b } = breaker({ consecutiveFailures: 2 })
    const p = b.acquire()
    p?.failure()
    p?.failure()
    expect(b.state).toBe('closed')
  })

  it('rejects options out of range at construction', () => {
    expect(() => resolveBreakerOptions({ consecutiveFailures: 0 })).toThrow('breaker.consecutiveFailures must be an integer >= 1')
    expect(() => resolveBreakerOptions({ failureRate: 1.5 })).toThrow('breaker.failureRate must be in (0, 1]')
    expect(() => resolveBreakerOptions({ cooldownMs: 10, maxCooldownMs: 5 })).toThrow(TypeError)
  })
})
