import { z } from 'zod'
import { durationSchema } from '../../bundle/duration.ts'

/** Longest window a limit may have (31 days): the memory store loses its counters on restart anyway. */
export const MAX_WINDOW_MS = 31 * 24 * 3_600_000

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** One part of a bucket key; `header:<name>` has a lower-case header name. */
export type KeyPart = 'ip' | 'subject' | 'tenant' | 'route' | `header:${string}`

const KeyPartSchema = z
  .union([
    z.enum(['ip', 'subject', 'tenant', 'route']),
    z
      .string()
      .regex(/^header:/, 'expected ip, subject, tenant, route or header:<name>')
      .refine((s) => HEADER_NAME.test(s.slice('header:'.length)), 'header:<name> needs a valid header name'),
  ])
  .transform((part) => part.toLowerCase() as KeyPart)

export const Limit = z
  .object({
    requests: z.number().int().min(1).describe('Requests (cost units) allowed per window'),
    per: durationSchema(MAX_WINDOW_MS).describe('Window length (e.g. 1s, 1m, 24h); at most 744h'),
    burst: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        'Extra requests allowed once the window is used up, from a burst bucket that refills every ' +
          'max(per, burst x per / requests): the time the sustained rate takes to earn them back',
      ),
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
  })
  .strict()

export const RateLimitOptions = z
  .object({
    limit: Limit.describe('The default limit (and the only one without tiers)'),
    key: z
      .union([KeyPartSchema.transform((p) => [p]), z.array(KeyPartSchema).min(1)])
      .transform((parts) => [...new Set(parts)])
      .describe(
        'What a bucket is per: ip, subject, tenant, route, header:<name>, or a list of them (one bucket per combination). ' +
          'A part whose principal or header is absent falls back to the client ip',
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
    store: z.enum(['memory']).default('memory').describe("Where counters live; only 'memory' (per process) for now"),
  })
  .strict()
  .superRefine((o, ctx) => {
    // A cost above a limit's whole capacity would refuse that method forever: refuse the bundle instead.
    const limits: [string, Limit][] = [['limit', o.limit], ...Object.entries(o.tiers?.limits ?? {}).map(([t, l]): [string, Limit] => [`tiers.limits.${t}`, l])]
    for (const [method, cost] of Object.entries(o.cost?.methods ?? {}))
      for (const [at, l] of limits)
        if (cost > l.requests + l.burst)
          ctx.addIssue({ code: 'custom', path: ['cost', 'methods', method], message: `cost ${cost} exceeds ${at} (requests + burst = ${l.requests + l.burst})` })
  })
export type RateLimitOptions = z.output<typeof RateLimitOptions>
