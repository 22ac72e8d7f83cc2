import type { Verdict } from './limiter.ts'

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000))

/**
 * The rate-limit response headers of a verdict: the IETF draft fields (`RateLimit-Policy:
 * 100;w=60`, `RateLimit: limit=100, remaining=42, reset=17`) and the legacy `RateLimit-Limit`,
 * `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the window resets). A refusal adds
 * `Retry-After` (seconds, at least 1).
 */
export function rateLimitHeaders(v: Verdict): Record<string, string> {
  const limit = String(v.limit.requests)
  const remaining = String(v.remaining)
  const reset = String(seconds(v.resetMs))
  return {
    'ratelimit-policy': `${limit};w=${Math.max(1, seconds(v.limit.per))}`,
    ratelimit: `limit=${limit}, remaining=${remaining}, reset=${reset}`,
    'ratelimit-limit': limit,
    'ratelimit-remaining': remaining,
    'ratelimit-reset': reset,
    ...(v.allowed ? {} : { 'retry-after': String(Math.max(1, seconds(v.retryMs))) }),
  }
}
