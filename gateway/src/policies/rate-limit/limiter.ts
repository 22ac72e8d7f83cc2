import type { Limit } from './options.ts'

/** One counted window as advertised: `requests` per `perMs`, named as a quota policy of the IETF fields. */
export interface Window {
  /** `rate` (the sustained rate) or `quota` (the long window). */
  readonly name: 'rate' | 'quota'
  readonly requests: number
  readonly perMs: number
}

/** What one request's consumption came to: the numbers behind the rate-limit headers. */
export interface Verdict {
  readonly allowed: boolean
  /** Every window of the limit that applied: the sustained rate, then the quota (burst is not advertised). */
  readonly windows: readonly Window[]
  /** `RateLimit-Policy` for `windows`, built once per limit. */
  readonly policy: string
  /** The window reported in `RateLimit` and the legacy headers: the refusing one, else the one with the fewest left. */
  readonly window: Window
  /** Requests left in `window`. */
  readonly remaining: number
  /** Milliseconds until `window` resets. */
  readonly resetMs: number
  /** When refused: milliseconds until a request of the same cost can pass again. */
  readonly retryMs: number
}

/** One window's answer for a key: within it (`ok`) or over, what is left and when it resets. */
export interface Take {
  readonly ok: boolean
  readonly remaining: number
  readonly msLeft: number
}

/**
 * Counts points under a key. Over the limit is an answer (`ok: false`), not a rejection; only a
 * store failure throws or rejects. In-process counters answer synchronously (no promise, no
 * microtask per request); a shared store answers with a promise.
 */
export interface Counter {
  consume(key: string, points: number): Take | Promise<Take>
}

/** Builds the counter of one window; `durationMs` may be any positive length (a store rounds as it must). */
export type CounterFactory = (o: { keyPrefix: string; points: number; durationMs: number }) => Counter

/** The limiters of one limit: sustained, burst bucket, quota. */
export interface LimiterSet {
  readonly limit: Limit
  /** A verdict, synchronously when every counter of the limit is in-process; throws or rejects only when the store fails. */
  consume(key: string, cost: number): Verdict | Promise<Verdict>
}

/** The burst bucket's window: the time the sustained rate takes to earn `burst` back, at least `per`. */
export function burstWindowMs(limit: Limit): number {
  return Math.max(limit.per, Math.ceil((limit.burst * limit.per) / limit.requests))
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000))

/**
 * `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers-11): one `"name";q=requests;w=seconds`
 * item per window, the window at least 1 s.
 */
export function policyHeader(windows: readonly Window[]): string {
  return windows.map((w) => `"${w.name}";q=${w.requests};w=${Math.max(1, seconds(w.perMs))}`).join(', ')
}

/**
 * Builds the counters of one limit, once. Sustained: `requests` per `per` (fixed window). Burst:
 * once the sustained window is used up, up to `burst` more requests from a second bucket with a
 * window of `burstWindowMs` (the pattern of the library's BurstyRateLimiter). Quota: counted
 * only for requests the rate admitted, so a flood of refused requests does not eat the quota.
 * Each step continues synchronously when its counter answered synchronously.
 */
export function createLimiterSet(limit: Limit, keyPrefix: string, make: CounterFactory): LimiterSet {
  const rate: Window = { name: 'rate', requests: limit.requests, perMs: limit.per }
  const quotaWindow: Window | undefined = limit.quota && { name: 'quota', requests: limit.quota.requests, perMs: limit.quota.per }
  const windows = quotaWindow ? [rate, quotaWindow] : [rate]
  const policy = policyHeader(windows)
  const sustained = make({ keyPrefix, points: limit.requests, durationMs: limit.per })
  const burst = limit.burst > 0 ? make({ keyPrefix: `${keyPrefix}:burst`, points: limit.burst, durationMs: burstWindowMs(limit) }) : undefined
  const quota = quotaWindow && make({ keyPrefix: `${keyPrefix}:quota`, points: quotaWindow.requests, durationMs: quotaWindow.perMs })
  const refused = (window: Window, resetMs: number, retryMs: number): Verdict => ({ allowed: false, windows, policy, window, remaining: 0, resetMs, retryMs })

  /** The rate (or the burst) admitted: the quota decides, and the window with fewer left is reported. */
  function afterRate(key: string, cost: number, remaining: number, resetMs: number): Verdict | Promise<Verdict> {
    if (!quota || !quotaWindow) return { allowed: true, windows, policy, window: rate, remaining, resetMs, retryMs: 0 }
    const q = quota.consume(key, cost)
    return q instanceof Promise ? q.then((t) => afterQuota(t, remaining, resetMs)) : afterQuota(q, remaining, resetMs)
  }
  function afterQuota(q: Take, remaining: number, resetMs: number): Verdict {
    const w = quotaWindow as Window
    if (!q.ok) return refused(w, q.msLeft, q.msLeft)
    return q.remaining < remaining
      ? { allowed: true, windows, policy, window: w, remaining: q.remaining, resetMs: q.msLeft, retryMs: 0 }
      : { allowed: true, windows, policy, window: rate, remaining, resetMs, retryMs: 0 }
  }
  function afterBurst(key: string, cost: number, extra: Take, resetMs: number): Verdict | Promise<Verdict> {
    // Either bucket coming back lets the next request through.
    return extra.ok ? afterRate(key, cost, 0, resetMs) : refused(rate, resetMs, Math.min(resetMs, extra.msLeft))
  }
  function afterSustained(key: string, cost: number, main: Take): Verdict | Promise<Verdict> {
    if (main.ok) return afterRate(key, cost, main.remaining, main.msLeft)
    if (!burst) return refused(rate, main.msLeft, main.msLeft)
    const extra = burst.consume(key, cost)
    return extra instanceof Promise ? extra.then((t) => afterBurst(key, cost, t, main.msLeft)) : afterBurst(key, cost, extra, main.msLeft)
  }

  return {
    limit,
    consume(key, cost) {
      const main = sustained.consume(key, cost)
      return main instanceof Promise ? main.then((t) => afterSustained(key, cost, t)) : afterSustained(key, cost, main)
    },
  }
}
