import type { Verdict, Window } from './limiter.ts'

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000))
const policy = (w: Window) => `${w.requests};w=${Math.max(1, seconds(w.perMs))}`

/**
 * The rate-limit response headers of a verdict: the IETF draft fields (`RateLimit-Policy:
 * 100;w=60`, one item per window, e.g. `100;w=60, 10000;w=86400` with a quota; `RateLimit:
 * limit=100, remaining=42, reset=17`) and the legacy `RateLimit-Limit`, `RateLimit-Remaining` and
 * `RateLimit-Reset` (seconds until the window resets). `RateLimit` and the legacy headers speak
 * of one window: the refusing one, else the one with the fewest requests left. A refusal adds
 * `Retry-After` (seconds, at least 1).
 */
export function rateLimitHeaders(v: Verdict): Record<string, string> {
  const limit = String(v.window.requests)
  const remaining = String(v.remaining)
  const reset = String(seconds(v.resetMs))
  return {
    'ratelimit-policy': v.windows.map(policy).join(', '),
    ratelimit: `limit=${limit}, remaining=${remaining}, reset=${reset}`,
    'ratelimit-limit': limit,
    'ratelimit-remaining': remaining,
    'ratelimit-reset': reset,
    ...(v.allowed ? {} : { 'retry-after': String(Math.max(1, seconds(v.retryMs))) }),
  }
}
