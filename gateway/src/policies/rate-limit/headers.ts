import type { Verdict } from './limiter.ts'
import type { RateLimitOptions } from './options.ts'

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000))

/** Which rate-limit fields a policy sends (its `headers` option). */
export type FieldSet = RateLimitOptions['headers']

/**
 * The rate-limit response headers of a verdict: the IETF fields of
 * draft-ietf-httpapi-ratelimit-headers-11 (`RateLimit-Policy: "rate";q=100;w=60`, one item per
 * window, e.g. `"rate";q=100;w=60, "quota";q=10000;w=86400` with a quota, built once per limit;
 * `RateLimit: "rate";r=42;t=17`) and the legacy `RateLimit-Limit`, `RateLimit-Remaining` and
 * `RateLimit-Reset` (seconds until the window resets), or only the set chosen. `RateLimit` and the
 * legacy headers speak of one window: the refusing one, else the one with the fewest requests left.
 * A refusal adds `Retry-After` (seconds, at least 1) whatever the set.
 */
export function rateLimitHeaders(v: Verdict, set: FieldSet = 'both'): Record<string, string> {
  const headers: Record<string, string> = {}
  setRateLimitFields(headers, v, set)
  return headers
}

/**
 * Sets the fields of `rateLimitHeaders` on `fields` one by one: on the admitted path they go
 * straight into the shell's queue of response fields, without a record of their own copied in.
 */
export function setRateLimitFields(fields: Record<string, string>, v: Verdict, set: FieldSet = 'both'): void {
  if (!v.allowed) fields['retry-after'] = `${Math.max(1, seconds(v.retryMs))}`
  if (set === 'none') return
  const remaining = `${v.remaining}`
  const reset = `${seconds(v.resetMs)}`
  if (set !== 'legacy') {
    fields['ratelimit-policy'] = v.policy
    fields.ratelimit = `"${v.window.name}";r=${remaining};t=${reset}`
  }
  if (set !== 'draft') {
    fields['ratelimit-limit'] = `${v.window.requests}`
    fields['ratelimit-remaining'] = remaining
    fields['ratelimit-reset'] = reset
  }
}
