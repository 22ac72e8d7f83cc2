import type { Verdict } from './limiter.ts'

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000))

/**
 * The rate-limit response headers of a verdict: the IETF draft fields (`RateLimit-Policy:
 * 100;w=60`, one item per window, e.g. `100;w=60, 10000;w=86400` with a quota, built once per
 * limit; `RateLimit: limit=100, remaining=42, reset=17`) and the legacy `RateLimit-Limit`,
 * `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the window resets). `RateLimit` and
 * the legacy headers speak of one window: the refusing one, else the one with the fewest
 * requests left. A refusal adds `Retry-After` (seconds, at least 1).
 */
export function rateLimitHeaders(v: Verdict): Record<string, string> {
  const limit = `${v.window.requests}`
  const remaining = `${v.remaining}`
  const reset = `${seconds(v.resetMs)}`
  const headers: Record<string, string> = {
    'ratelimit-policy': v.policy,
    ratelimit: `limit=${limit}, remaining=${remaining}, reset=${reset}`,
    'ratelimit-limit': limit,
    'ratelimit-remaining': remaining,
    'ratelimit-reset': reset,
  }
  if (!v.allowed) headers['retry-after'] = `${Math.max(1, seconds(v.retryMs))}`
  return headers
}
