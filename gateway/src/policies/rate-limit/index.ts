import type { Context } from 'hono'
import { GatewayError } from '../../../../internal/shell/errors.ts'
import type { GatewayEnv } from '../../env.ts'
import { definePolicy } from '../types.ts'
import { rateLimitHeaders } from './headers.ts'
import { bucketKey } from './key.ts'
import { createLimiterSet } from './limiter.ts'
import type { LimiterSet, Verdict } from './limiter.ts'
import { RateLimitOptions } from './options.ts'

export { RateLimitOptions } from './options.ts'

/** A claim of the principal by exact name, else by dotted path; a scalar as a string, else undefined. */
function claimValue(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  let at: unknown = claims
  if (Object.hasOwn(claims, name)) at = claims[name]
  else
    for (const part of name.split('.')) {
      if (typeof at !== 'object' || at === null || !Object.hasOwn(at, part)) return undefined
      at = (at as Record<string, unknown>)[part]
    }
  return typeof at === 'string' || typeof at === 'number' || typeof at === 'boolean' ? String(at) : undefined
}

/**
 * Limits requests per key (client ip, subject, tenant, route, a header, or a combination) with
 * rate-limiter-flexible. Limiters are built once per instance; each request consumes its cost
 * (by method, default 1). Over the limit: 429 RATE_LIMITED problem+json with `Retry-After`. Every
 * response carries the IETF draft `RateLimit-Policy`/`RateLimit` fields and the legacy
 * `RateLimit-Limit/-Remaining/-Reset` headers. A failing store is 503 UNAVAILABLE, never a
 * foreign rejection. `store: memory` counts per process; Redis will be another store value.
 */
export const rateLimit = definePolicy({
  type: 'rate-limit',
  description: 'Limit requests per client ip, subject, tenant, route or header, with tiers, burst and cost',
  options: RateLimitOptions,
  create(o, { name }) {
    const prefix = `rl:${name}`
    const base = createLimiterSet(o.limit, prefix)
    const tiers = new Map<string, LimiterSet>(
      Object.entries(o.tiers?.limits ?? {}).map(([tier, limit]) => [tier, createLimiterSet(limit, `${prefix}:tier:${encodeURIComponent(tier)}`)]),
    )
    const costs = new Map(Object.entries(o.cost?.methods ?? {}))

    const limiterFor = (c: Context<GatewayEnv>): LimiterSet => {
      const claims = c.get('principal')?.claims
      if (o.tiers === undefined || claims === undefined) return base
      const tier = claimValue(claims, o.tiers.claim)
      return (tier !== undefined ? tiers.get(tier) : undefined) ?? base
    }

    return async function rateLimit(c, next) {
      const key = bucketKey(c, o.key, o.trustedProxies)
      const cost = costs.get(c.req.method) ?? 1
      let verdict: Verdict
      try {
        verdict = await limiterFor(c).consume(key, cost)
      } catch (err) {
        throw new GatewayError('UNAVAILABLE', 'rate limit store unavailable', { cause: err })
      }
      const headers = rateLimitHeaders(verdict)
      if (!verdict.allowed) throw new GatewayError('RATE_LIMITED', `rate limit of ${verdict.limit.requests} requests exceeded`, { headers })
      await next()
      // A proxied Response has immutable headers: re-wrap once before setting ours.
      c.res = new Response(c.res.body, c.res)
      for (const [header, value] of Object.entries(headers)) c.res.headers.set(header, value)
    }
  },
})
