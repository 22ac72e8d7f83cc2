import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import type { RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Limit } from './options.ts'

/** What one request's consumption came to: the numbers behind the rate-limit headers. */
export interface Verdict {
  readonly allowed: boolean
  /** The limit that applied (the sustained `requests`; the burst allowance is not advertised). */
  readonly limit: Limit
  /** Requests left in the sustained window. */
  readonly remaining: number
  /** Milliseconds until the sustained window resets. */
  readonly resetMs: number
  /** When refused: milliseconds until a request of the same cost can pass again. */
  readonly retryMs: number
}

/** The sustained limiter of a limit and, when `burst` > 0, its burst bucket. */
export interface LimiterSet {
  readonly limit: Limit
  /** Resolves with a verdict; rejects only when the store fails (never with a RateLimiterRes). */
  consume(key: string, cost: number): Promise<Verdict>
}

/** The burst bucket's window: the time the sustained rate takes to earn `burst` back, at least `per`. */
export function burstWindowMs(limit: Limit): number {
  return Math.max(limit.per, Math.ceil((limit.burst * limit.per) / limit.requests))
}

/** A consume that resolves with the library's result either way; only store failures reject. */
async function take(limiter: RateLimiterAbstract, key: string, cost: number): Promise<{ ok: boolean; res: RateLimiterRes }> {
  try {
    return { ok: true, res: await limiter.consume(key, cost) }
  } catch (rejection) {
    // Over the limit, rate-limiter-flexible rejects with a RateLimiterRes, which is not an Error.
    if (rejection instanceof RateLimiterRes) return { ok: false, res: rejection }
    throw rejection
  }
}

/**
 * Builds the limiters of one limit, once. Sustained: `requests` per `per` (fixed window). Burst:
 * once the sustained window is used up, up to `burst` more requests from a second bucket with a
 * window of `burstWindowMs` (the pattern of the library's BurstyRateLimiter).
 */
export function createLimiterSet(limit: Limit, keyPrefix: string, make = memoryLimiter): LimiterSet {
  const sustained = make({ keyPrefix, points: limit.requests, duration: limit.per / 1000 })
  const burst = limit.burst > 0 ? make({ keyPrefix: `${keyPrefix}:burst`, points: limit.burst, duration: burstWindowMs(limit) / 1000 }) : undefined
  return {
    limit,
    async consume(key, cost) {
      const main = await take(sustained, key, cost)
      const remaining = main.res.remainingPoints
      const resetMs = Math.max(0, main.res.msBeforeNext)
      if (main.ok) return { allowed: true, limit, remaining, resetMs, retryMs: 0 }
      if (burst) {
        const extra = await take(burst, key, cost)
        if (extra.ok) return { allowed: true, limit, remaining: 0, resetMs, retryMs: 0 }
        // Either bucket coming back lets the next request through.
        return { allowed: false, limit, remaining: 0, resetMs, retryMs: Math.min(resetMs, Math.max(0, extra.res.msBeforeNext)) }
      }
      return { allowed: false, limit, remaining: 0, resetMs, retryMs: resetMs }
    },
  }
}

/** The in-memory store (per process): `store: memory`. */
export function memoryLimiter(o: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract {
  return new RateLimiterMemory(o)
}
