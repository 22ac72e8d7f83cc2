import type { Verdict } from './limiter.ts'

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000))

/**
 * The rate-limit response headers of a verdict: the IETF fields of
 * draft-ietf-httpapi-ratelimit-headers-11 (`RateLimit-Policy: "rate";q=100;w=60`, one item per
 * window, e.g. `"rate";q=100;w=60, "quota";q=10000;w=86400` with a quota, built once per limit;
 * `RateLimit: "rate";r=42;t=17`) and the legacy `RateLimit-Limit`, `RateLimit-Remaining` and
 * `RateLimit-Reset` (seconds until the window resets). `RateLimit` and the legacy headers speak of
 * one window: the refusing one, else the one with the fewest requests left. A refusal adds
 * `Retry-After` (seconds, at least 1).
 */
export function rateLimitHeaders(v: Verdict): Record<string, string> {
  const headers: Record<string, string> = {}
  setRateLimitFields(headers, v)
  return headers
}

/**
 * Sets the fields of `rateLimitHeaders` on `fields` one by one: on the admitted path they go
 * straight into the shell's queue of response fields, without a record of their own copied in.
 */
export function setRateLimitFields(fields: Record<string, string>, v: Verdict): void {
  const remaining = `${v.remaining}`
  const reset = `${seconds(v.resetMs)}`
  fields['ratelimit-policy'] = v.policy
  fields.ratelimit = `"${v.window.name}";r=${remaining};t=${reset}`
  fields['ratelimit-limit'] = `${v.window.requests}`
  fields['ratelimit-remaining'] = remaining
  fields['ratelimit-reset'] = reset
  if (!v.allowed) fields['retry-after'] = `${Math.max(1, seconds(v.retryMs))}`
}
