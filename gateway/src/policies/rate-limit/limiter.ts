import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import type { Limit } from './options.ts'

/** One counted window as advertised: `requests` per `perMs`. */
export interface Window {
  readonly requests: number
  readonly perMs: number
}

/** What one request's consumption came to: the numbers behind the rate-limit headers. */
export interface Verdict {
  readonly allowed: boolean
  /** Every window of the limit that applied: the sustained rate, then the quota (burst is not advertised). */
  readonly windows: readonly Window[]
  /** The window reported in `RateLimit` and the legacy headers: the refusing one, else the one with the fewest left. */
  readonly window: Window
  /** Requests left in `window`. */
  readonly remaining: number
  /** Milliseconds until `window` resets. */
  readonly resetMs: number
  /** When refused: milliseconds until a request of the same cost can pass again. */
  readonly retryMs: number
}

/** Counts points under a key: resolves when within the limit, rejects with a RateLimiterRes when over, with an Error when the store fails. */
export interface Counter {
  consume(key: string, points: number): Promise<RateLimiterRes>
}

/** Builds the counter of one window; `durationMs` may be any positive length (a store rounds as it must). */
export type CounterFactory = (o: { keyPrefix: string; points: number; durationMs: number }) => Counter

/** The limiters of one limit: sustained, burst bucket, quota. */
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
async function take(counter: Counter, key: string, cost: number): Promise<{ ok: boolean; res: RateLimiterRes }> {
  try {
    return { ok: true, res: await counter.consume(key, cost) }
  } catch (rejection) {
    // Over the limit, rate-limiter-flexible rejects with a RateLimiterRes, which is not an Error.
    if (rejection instanceof RateLimiterRes) return { ok: false, res: rejection }
    throw rejection
  }
}

const msLeft = (res: RateLimiterRes) => Math.max(0, res.msBeforeNext)

/**
 * Builds the counters of one limit, once. Sustained: `requests` per `per` (fixed window). Burst:
 * once the sustained window is used up, up to `burst` more requests from a second bucket with a
 * window of `burstWindowMs` (the pattern of the library's BurstyRateLimiter). Quota: counted
 * only for requests the rate admitted, so a flood of refused requests does not eat the quota.
 */
export function createLimiterSet(limit: Limit, keyPrefix: string, make: CounterFactory = memoryCounter): LimiterSet {
  const rate: Window = { requests: limit.requests, perMs: limit.per }
  const quotaWindow: Window | undefined = limit.quota && { requests: limit.quota.requests, perMs: limit.quota.per }
  const windows = quotaWindow ? [rate, quotaWindow] : [rate]
  const sustained = make({ keyPrefix, points: limit.requests, durationMs: limit.per })
  const burst = limit.burst > 0 ? make({ keyPrefix: `${keyPrefix}:burst`, points: limit.burst, durationMs: burstWindowMs(limit) }) : undefined
  const quota = quotaWindow && make({ keyPrefix: `${keyPrefix}:quota`, points: quotaWindow.requests, durationMs: quotaWindow.perMs })
  const refused = (window: Window, resetMs: number, retryMs: number): Verdict => ({ allowed: false, windows, window, remaining: 0, resetMs, retryMs })

  return {
    limit,
    async consume(key, cost) {
      const main = await take(sustained, key, cost)
      const resetMs = msLeft(main.res)
      let remaining = main.res.remainingPoints
      if (!main.ok) {
        const extra = burst && (await take(burst, key, cost))
        // Either bucket coming back lets the next request through.
        if (!extra) return refused(rate, resetMs, resetMs)
        if (!extra.ok) return refused(rate, resetMs, Math.min(resetMs, msLeft(extra.res)))
        remaining = 0
      }
      if (!quota || !quotaWindow) return { allowed: true, windows, window: rate, remaining, resetMs, retryMs: 0 }
      const q = await take(quota, key, cost)
      if (!q.ok) return refused(quotaWindow, msLeft(q.res), msLeft(q.res))
      return q.res.remainingPoints < remaining
        ? { allowed: true, windows, window: quotaWindow, remaining: q.res.remainingPoints, resetMs: msLeft(q.res), retryMs: 0 }
        : { allowed: true, windows, window: rate, remaining, resetMs, retryMs: 0 }
    },
  }
}

/** The longest timer the runtimes keep (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647

/**
 * The in-memory store (per process): `store: memory`, and the insurance of a redis store.
 * RateLimiterMemory expires each key with a timer, so a window is cut to the longest timer
 * (24.8 days): options keep memory windows within 24d; only a redis store's insurance for a
 * monthly quota (and a very long burst window) is shortened.
 */
export const memoryCounter: CounterFactory = ({ keyPrefix, points, durationMs }) =>
  new RateLimiterMemory({ keyPrefix, points, duration: Math.min(durationMs, MAX_TIMER_MS) / 1000 })
