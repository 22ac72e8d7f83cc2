import type { Context } from 'hono'
import { GatewayError } from '../../../../internal/shell/errors.ts'
import { queuedResponseFields } from '../../../../internal/shell/response-fields.ts'
import type { GatewayEnv } from '../../env.ts'
import { definePolicy, inboundPolicy } from '../types.ts'
import { rateLimitHeaders, setRateLimitFields } from './headers.ts'
import { createBucketKey } from './key.ts'
import { createLimiterSet } from './limiter.ts'
import type { LimiterSet, Verdict } from './limiter.ts'
import { RateLimitOptions } from './options.ts'
import { createStore, StoreUnavailable } from './store.ts'

export { RateLimitOptions } from './options.ts'

/** A client told to come back after a closed-mode refusal: about when a store probe is due. */
const STORE_RETRY_AFTER_S = '1'

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
 * Units a request body adds: one per started `perBytes` of its Content-Length, at most `maxUnits`;
 * a body whose size is not announced (chunked) is charged `maxUnits`, so streaming it is no way
 * around the cost; no body, nothing.
 */
function bodyUnits(c: Context<GatewayEnv>, body: { perBytes: number; maxUnits: number }): number {
  const length = c.req.header('content-length')
  if (length !== undefined) return Math.min(body.maxUnits, Math.ceil(Number(length) / body.perBytes) || 0)
  return c.req.header('transfer-encoding') === undefined ? 0 : body.maxUnits
}

/**
 * Limits requests per key (client ip, subject, tenant, api key, route, a header, or a
 * combination), in memory (synchronous fixed-window counters) or in a shared Redis
 * (atomic increments, those of one event-loop turn in one round trip, or reserved in batches; see README.md).
 * Limiters and the key function are built once per instance; each request consumes its cost
 * (by method, default 1) from the rate and, when set, the quota. Over: 429 RATE_LIMITED problem+json with `Retry-After`.
 * Every counted response carries the IETF draft (-11) `RateLimit-Policy`/`RateLimit` fields and the
 * legacy `RateLimit-Limit/-Remaining/-Reset` headers (or the set `headers` chooses). A failing Redis is decided at once by
 * `onStoreFailure`: count locally, admit (open, no headers) or 503 UNAVAILABLE (closed).
 */
export const rateLimit = definePolicy({
  type: 'rate-limit',
  description: 'Limit requests per client ip, subject, tenant, api key, route or header, with tiers, burst, quotas and cost; in memory or Redis',
  options: RateLimitOptions,
  create(o, init) {
    const store = createStore(o, init)
    const base = createLimiterSet(o.limit, store.keyPrefix, store.make)
    const tiers = new Map<string, LimiterSet>(
      Object.entries(o.tiers?.limits ?? {}).map(([tier, limit]) => [
        tier,
        createLimiterSet(limit, `${store.keyPrefix}:tier:${encodeURIComponent(tier)}`, store.make),
      ]),
    )
    const costs = new Map(Object.entries(o.cost?.methods ?? {}))
    const bodyCost = o.cost?.body
    const keyOf = createBucketKey(o.key, o.trustedProxies)

    const limiterFor = (c: Context<GatewayEnv>): LimiterSet => {
      if (o.tiers === undefined) return base
      const claims = c.get('principal')?.claims
      if (claims === undefined) return base
      const tier = claimValue(claims, o.tiers.claim)
      return (tier !== undefined ? tiers.get(tier) : undefined) ?? base
    }

    const failed = (err: unknown): void => {
      if (err instanceof StoreUnavailable && store.onStoreFailure === 'open') return
      const headers = err instanceof StoreUnavailable ? { 'retry-after': STORE_RETRY_AFTER_S } : undefined
      throw new GatewayError('UNAVAILABLE', 'rate limit store unavailable', { cause: err, headers })
    }
    const decided = (c: Context<GatewayEnv>, verdict: Verdict): void => {
      if (!verdict.allowed) {
        const w = verdict.window
        const message = `${w.name === 'rate' ? 'rate limit' : 'quota'} of ${w.requests} requests exceeded`
        // `violated-policies`: the draft's quota-exceeded member, naming the refusing policy item.
        throw new GatewayError('RATE_LIMITED', message, { headers: rateLimitHeaders(verdict, o.headers), extensions: { 'violated-policies': [w.name] } })
      }
      // Queued for the shell to write with the response (no Headers copy on the proxy path).
      setRateLimitFields(queuedResponseFields(c), verdict, o.headers)
    }

    // Not async: an in-process counter answers synchronously, so the memory store adds no
    // promise or microtask of its own; a Redis answer continues in `then`.
    return inboundPolicy(function rateLimit(c) {
      const key = keyOf(c)
      const cost = (costs.size === 0 ? 1 : (costs.get(c.req.method) ?? 1)) + (bodyCost ? bodyUnits(c, bodyCost) : 0)
      let answer: Verdict | Promise<Verdict>
      try {
        answer = limiterFor(c).consume(key, cost)
      } catch (err) {
        return failed(err)
      }
      if (answer instanceof Promise) return answer.then((verdict) => decided(c, verdict), failed)
      return decided(c, answer)
    })
  },
})
