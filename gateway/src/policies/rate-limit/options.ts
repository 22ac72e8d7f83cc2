import { z } from 'zod'
import { Store } from './store-options.ts'
import { windowSchema } from './window.ts'

/** Longest window a limit or quota may have (31 days, a month). */
export const MAX_WINDOW_MS = 31 * 86_400_000
/** Longest window of the memory store: a per-process count that a restart loses; monthly quotas belong on redis. */
export const MAX_MEMORY_WINDOW_MS = 24 * 86_400_000

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** One part of a bucket key; `header:<name>` has a lower-case header name. */
export type KeyPart = 'ip' | 'subject' | 'tenant' | 'apikey' | 'route' | `header:${string}`

const KeyPartSchema = z
  .union([
    z.enum(['ip', 'subject', 'tenant', 'apikey', 'route']),
    z
      .string()
      .regex(/^header:/, 'expected ip, subject, tenant, apikey, route or header:<name>')
      .refine((s) => HEADER_NAME.test(s.slice('header:'.length)), 'header:<name> needs a valid header name'),
  ])
  .transform((part) => part.toLowerCase() as KeyPart)

const Window = windowSchema(MAX_WINDOW_MS)

export const Quota = z
  .object({
    requests: z.number().int().min(1).describe('Requests (cost units) allowed per quota window'),
    per: Window.describe('Quota window (e.g. 24h, 1d, 30d); at most 31d on redis, 24d in memory. Survives gateway restarts on a redis store only'),
  })
  .strict()
export type Quota = z.output<typeof Quota>

export const Limit = z
  .object({
    requests: z.number().int().min(1).describe('Requests (cost units) allowed per window'),
    per: Window.describe('Window length (e.g. 1s, 1m, 24h, 1d); at most 31d on redis, 24d in memory'),
    burst: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        'Extra requests allowed once the window is used up, from a burst bucket that refills every ' +
          'max(per, burst x per / requests): the time the sustained rate takes to earn them back',
      ),
    quota: Quota.optional().describe('A long-window quota (per day, per month) counted on top of the rate: both must admit a request'),
  })
  .strict()
export type Limit = z.output<typeof Limit>

const Tiers = z
  .object({
    claim: z.string().min(1).describe("Principal claim whose value selects the tier (e.g. 'plan'); a dotted path reaches nested claims"),
    limits: z
      .record(z.string().min(1), Limit)
      .refine((r) => Object.keys(r).length > 0, 'give at least one tier')
      .describe("Limit per claim value (e.g. free, pro); other values and absent claims use 'limit'"),
  })
  .strict()

const Cost = z
  .object({
    methods: z
      .record(z.string().regex(METHOD, 'not a valid HTTP method'), z.number().int().min(0))
      .default({})
      .transform((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k.toUpperCase(), v])))
      .describe('Cost of one request by HTTP method (e.g. POST: 5); other methods cost 1; 0 is free'),
    body: z
      .object({
        perBytes: z.number().int().min(1).describe('One more unit per started perBytes of request body (by Content-Length)'),
        maxUnits: z
          .number()
          .int()
          .min(1)
          .describe('At most this many body units; a body without Content-Length (chunked) is charged this many'),
      })
      .strict()
      .optional()
      .describe('Cost by request body size, added to the method cost'),
  })
  .strict()

export const RateLimitOptions = z
  .object({
    limit: Limit.describe('The default limit (and the only one without tiers)'),
    key: z
      .union([KeyPartSchema.transform((p) => [p]), z.array(KeyPartSchema).min(1)])
      .transform((parts) => [...new Set(parts)])
      .describe(
        'What a bucket is per: ip, subject, tenant, apikey (the key id of an api-key principal), route, header:<name>, or a list of them ' +
          '(one bucket per combination). A part whose principal or header is absent falls back to the client ip',
      ),
    trustedProxies: z
      .number()
      .int()
      .min(0)
      .max(16)
      .default(0)
      .describe('How many x-forwarded-for hops (from the right) are trusted proxies; 0 = use the peer address'),
    tiers: Tiers.optional().describe('Limits chosen by a claim of the principal'),
    cost: Cost.optional().describe('Cost per request'),
    store: Store.default('memory').describe("Where counters live: 'memory' (default, per process) or { redis: { url } }"),
    headers: z
      .enum(['both', 'draft', 'legacy', 'none'])
      .default('both')
      .describe(
        'Rate-limit fields on counted responses: both (default) = the IETF draft RateLimit-Policy and RateLimit plus the ' +
          'legacy RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset; draft or legacy = only those; none = limits ' +
          'not shown to clients (a refusal still carries Retry-After)',
      ),
    onStoreFailure: z
      .enum(['open', 'closed', 'local'])
      .optional()
      .describe(
        'What a redis store failure (down, timeout) does, decided at once: local (default) = count in this process ' +
          'until Redis is back, open = admit, closed = 503 UNAVAILABLE with Retry-After',
      ),
  })
  .strict()
  .superRefine((o, ctx) => {
    const limits: [string[], Limit][] = [[['limit'], o.limit], ...Object.entries(o.tiers?.limits ?? {}).map(([t, l]): [string[], Limit] => [['tiers', 'limits', t], l])]
    // A cost above a limit's whole capacity would refuse that method forever: refuse the bundle instead.
    const bodyUnits = o.cost?.body?.maxUnits ?? 0
    const worst: [(string | number)[], number, string][] = Object.entries(o.cost?.methods ?? {}).map(([method, cost]) => [['cost', 'methods', method], cost, `cost ${cost}`])
    if (bodyUnits > 0) {
      const method = Math.max(1, ...Object.values(o.cost?.methods ?? {}))
      worst.push([['cost', 'body', 'maxUnits'], method + bodyUnits, `cost ${method} + ${bodyUnits} body units`])
    }
    for (const [at, cost, what] of worst)
      for (const [path, l] of limits) {
        const where = path.join('.')
        if (cost > l.requests + l.burst)
          ctx.addIssue({ code: 'custom', path: at, message: `${what} exceeds ${where} (requests + burst = ${l.requests + l.burst})` })
        else if (l.quota && cost > l.quota.requests)
          ctx.addIssue({ code: 'custom', path: at, message: `${what} exceeds ${where}.quota (requests = ${l.quota.requests})` })
      }
    const windows = (path: string[], l: Limit) => [[[...path, 'per'], l.per], [[...path, 'quota', 'per'], l.quota?.per]] as const
    if (o.store === 'memory') {
      if (o.onStoreFailure !== undefined)
        ctx.addIssue({ code: 'custom', path: ['onStoreFailure'], message: 'onStoreFailure applies to a redis store only' })
      for (const [path, l] of limits)
        for (const [at, ms] of windows(path, l))
          if (ms !== undefined && ms > MAX_MEMORY_WINDOW_MS)
            ctx.addIssue({ code: 'custom', path: [...at], message: 'the memory store keeps windows of at most 24d: use a redis store for monthly quotas' })
      return
    }
    // Redis expires keys in whole seconds: a sub-second window would never expire there.
    for (const [path, l] of limits)
      for (const [at, ms] of windows(path, l))
        if (ms !== undefined && ms % 1000 !== 0)
          ctx.addIssue({ code: 'custom', path: [...at], message: 'a redis store counts whole seconds: use a window like 1s, 90s or 1m' })
  })
export type RateLimitOptions = z.output<typeof RateLimitOptions>
export type OnStoreFailure = NonNullable<RateLimitOptions['onStoreFailure']>
