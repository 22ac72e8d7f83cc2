import { describe, expect, it } from 'vitest'
import { AdaptiveLimit } from './adaptive-limit.ts'

/** Feeds `n` samples of `latencyMs` with the limit fully in use. */
const busy = (limit: AdaptiveLimit, latencyMs: number, n: number) => {
  for (let i = 0; i < n; i++) limit.sample(latencyMs, limit.current)
}

describe('AdaptiveLimit (gradient)', () => {
  it('starts at max and stays there while latency holds at its baseline', () => {
    const limit = new AdaptiveLimit({ min: 4, max: 100 })
    expect(limit.current).toBe(100)
    busy(limit, 10, 500)
    expect(limit.current).toBe(100)
  })

  it('shrinks toward min when requests take several times their baseline, never below it', () => {
    const limit = new AdaptiveLimit({ min: 4, max: 100 })
    busy(limit, 10, 300)
    busy(limit, 40, 20)
    const shrunk = limit.current
    expect(shrunk).toBeLessThan(60)
    busy(limit, 200, 30)
    expect(limit.current).toBeLessThan(shrunk)
    busy(limit, 10_000, 40)
    expect(limit.current).toBe(4)
  })

  it('takes a sustained new latency as the new baseline in time (a slower but steady upstream is not throttled forever)', () => {
    const limit = new AdaptiveLimit({ min: 4, max: 100 })
    busy(limit, 10, 300)
    busy(limit, 50, 30)
    const low = limit.current
    busy(limit, 50, 1500)
    expect(limit.current).toBeGreaterThan(low)
  })

  it('tolerates latency up to 1.5 times the baseline without cutting', () => {
    const limit = new AdaptiveLimit({ min: 4, max: 100 })
    busy(limit, 10, 300)
    busy(limit, 14, 50)
    expect(limit.current).toBe(100)
  })

  it('grows back once latency returns to the baseline', () => {
    const limit = new AdaptiveLimit({ min: 4, max: 100 })
    busy(limit, 10, 300)
    busy(limit, 60, 40)
    const low = limit.current
    expect(low).toBeLessThan(50)
    busy(limit, 10, 400)
    expect(limit.current).toBeGreaterThan(low * 1.5)
  })

  it('does not grow on an idle period (less than half the limit in use)', () => {
    const limit = new AdaptiveLimit({ min: 4, max: 100 })
    busy(limit, 10, 300)
    busy(limit, 60, 40)
    const low = limit.current
    for (let i = 0; i < 400; i++) limit.sample(10, 1)
    expect(limit.current).toBe(low)
  })

  it('ignores nonsense samples and refuses nonsense bounds', () => {
    const limit = new AdaptiveLimit({ min: 1, max: 10 })
    limit.sample(Number.NaN, 10)
    limit.sample(-5, 10)
    limit.sample(Number.POSITIVE_INFINITY, 10)
    expect(limit.current).toBe(10)
    expect(() => new AdaptiveLimit({ min: 0, max: 10 })).toThrow(TypeError)
    expect(() => new AdaptiveLimit({ min: 5, max: 4 })).toThrow(TypeError)
  })
})
