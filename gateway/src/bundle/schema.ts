/**
 * The schemas of a policy file. Each service, policy and route is validated on its own (so one bad
 * entry does not hide the problems of the others), and policies in two steps: `PolicyHead` checks
 * `type`, then the type's own options schema checks the rest (policy-entry.ts).
 * `documentSchema()` puts it all back together for the published JSON Schema.
 */
import { z } from 'zod'
import { POLICY_TYPES } from '../policies/index.ts'
import { parsePathTemplate, PathTemplateError } from '../routing/path-template.ts'
import { durationSchema, Timeout } from './duration.ts'
import { HttpUrl } from './url.ts'

const NAME = /^[a-z0-9][a-z0-9-]*$/
const NAME_RULE = 'use lower-case letters, digits and "-", starting with a letter or digit'
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const show = (value: unknown) => JSON.stringify(value)
const HOST = /^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/

const ServiceName = z.string().regex(NAME, NAME_RULE).describe('Service name')
const PolicyName = z.string().regex(NAME, NAME_RULE).describe('Policy instance name')
const RouteId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-_.]*$/, {
    error: (issue) => `invalid route id ${show(issue.input)} (use lower-case letters, digits, "-", "_" and ".")`,
  })
  .describe('Unique id of the route, used in logs, metrics and errors')

const Endpoint = z.strictObject({
  url: HttpUrl.describe('Base URL of one instance: http(s)://host[:port], no path, query or credentials'),
  zone: z.string().min(1).optional().describe('Availability zone of the instance, for zone-aware balancing'),
})

export const ServiceEntry = z
  .strictObject({
    kind: z.literal('http').default('http').describe('How the gateway talks to the service ("http" today)'),
    endpoints: z.array(Endpoint).min(1).describe('Instances of the service; at least one'),
    timeout: Timeout.optional().describe('Default timeout (until response headers) of routes to this service'),
    preserveHost: z
      .boolean({ error: (issue) => (typeof issue.input === 'string' ? `expected true or false, received ${show(issue.input)}` : undefined) })
      .default(false)
      .describe("Send the client's Host header upstream instead of the endpoint's"),
  })
  .describe('An upstream service')

const Method = z
  .string()
  .regex(TOKEN, { error: (issue) => `invalid HTTP method ${show(issue.input)}` })
  .transform((m) => m.toUpperCase())
const HeaderValue = z.string({
  error: (issue) =>
    typeof issue.input === 'number' || typeof issue.input === 'boolean'
      ? `expected string, received ${typeof issue.input} (quote it: "${String(issue.input)}")`
      : undefined,
})

const MatchSpec = z.strictObject({
  method: z
    .union([Method, z.array(Method).min(1)])
    .transform((m) => [...new Set(typeof m === 'string' ? [m] : m)])
    .optional()
    .describe('HTTP method or list of methods (GET, POST, ...); absent = any method'),
  host: z
    .string()
    .regex(HOST, { error: (issue) => `invalid host ${show(issue.input)} (expected e.g. api.example.com or *.example.com, no port)` })
    .transform((h) => h.toLowerCase())
    .optional()
    .describe('Exact host or "*.example.com" (no port); absent = any host'),
  path: z
    .string()
    .superRefine((path, ctx) => {
      try {
        parsePathTemplate(path)
      } catch (err) {
        if (!(err instanceof PathTemplateError)) throw err
        ctx.addIssue({ code: 'custom', message: `invalid path template: ${err.message}` })
      }
    })
    .meta({ pattern: '^/', examples: ['/v1/items/{id}', '/files/{rest=**}'] })
    .optional()
    .describe('Path template: literal segments, {name}, {name=a/*/b}, * (one segment), ** (the rest). Required, except on rpc routes (their paths come from google.api.http annotations)'),
  headers: z
    .record(z.string().regex(TOKEN, 'not a valid header name'), HeaderValue)
    .transform((headers, ctx) => {
      const out: Record<string, string> = {}
      for (const [name, value] of Object.entries(headers)) {
        const lower = name.toLowerCase()
        if (lower in out) ctx.issues.push({ code: 'custom', input: name, path: [name], message: `header "${lower}" is listed twice` })
        out[lower] = value
      }
      return out
    })
    .optional()
    .describe('Required request headers: name -> exact value, or "*" = must be present'),
})

const Concurrency = z
  .strictObject({
    limit: z.int().min(1).max(1_000_000).describe('Requests of this route running at once'),
    queue: z.int().min(0).max(1_000_000).default(0).describe('Requests that may wait for a slot, first in first out (default 0: refuse at once)'),
    maxWait: durationSchema(60_000).optional().describe('Longest wait for a slot before 503 OVERLOADED (default 1s, at most 1m)'),
    adaptive: z
      .strictObject({ min: z.int().min(1).max(1_000_000).describe('The lowest the limit goes') })
      .optional()
      .describe('Adapt the limit to observed latency: it starts at `limit` and shrinks toward `min` while requests take longer than their baseline'),
  })
  .refine((c) => c.adaptive === undefined || c.adaptive.min <= c.limit, { path: ['adaptive', 'min'], message: 'adaptive.min must not exceed limit' })
  .describe("Concurrency limit of this route (per gateway process); past it, 503 OVERLOADED with Retry-After")

/** `package.Service` or `package.Service/Method`. */
export const PROTO_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+(?:\/[A-Za-z_][A-Za-z0-9_]*)?$/

const RpcTarget = z
  .strictObject({
    service: z.string().describe('The upstream service (under services:) that serves the proto service'),
    proto: z
      .string()
      .regex(PROTO_NAME, {
        error: (issue) => `invalid proto name ${show(issue.input)} (expected package.Service or package.Service/Method)`,
      })
      .meta({ examples: ['gatehouse.storage.v1.StorageService', 'gatehouse.storage.v1.StorageService/HeadObject'] })
      .describe('A proto service (every method with a google.api.http rule) or one method, Service/Method'),
  })
  .describe('Upstream kind rpc: REST transcoded to protobuf calls, paths and verbs from google.api.http annotations')

const UPSTREAM_KINDS = ['http', 'passthrough', 'rpc'] as const

export const RouteEntry = z
  .strictObject({
    id: RouteId,
    match: MatchSpec.default({}).describe('What requests the route takes'),
    policies: z.array(z.string()).default([]).describe('Names of policy instances, in the order they run'),
    timeout: Timeout.optional().describe("Time until the upstream's response headers; default: the service's, else 30s"),
    http: z.string().optional().describe('Upstream kind http: the name of a service to reverse-proxy to'),
    passthrough: z
      .string()
      .optional()
      .describe('Upstream kind passthrough: the name of a service that gets Connect / gRPC-web / gRPC calls as they are (CORS and deadlines handled)'),
    rpc: RpcTarget.optional(),
    concurrency: Concurrency.optional(),
  })
  .superRefine((route, ctx) => {
    const kinds = UPSTREAM_KINDS.filter((kind) => route[kind] !== undefined)
    if (kinds.length !== 1) {
      const message =
        kinds.length === 0
          ? 'a route needs an upstream: one of http, passthrough or rpc'
          : `a route has one upstream, found ${kinds.join(' and ')}`
      ctx.addIssue({ code: 'custom', message, path: kinds.length === 0 ? [] : [kinds[1] ?? 'http'] })
      return
    }
    if (route.rpc === undefined && route.match.path === undefined) {
      ctx.addIssue({ code: 'custom', message: 'match.path is required (only rpc routes take their paths from annotations)', path: ['match'] })
    }
    if (route.rpc !== undefined && (route.match.path !== undefined || route.match.method !== undefined)) {
      const key = route.match.path !== undefined ? 'path' : 'method'
      ctx.addIssue({
        code: 'custom',
        message: `an rpc route takes its ${key} from the google.api.http annotations of ${route.rpc.proto}; match only host and headers`,
        path: ['match', key],
      })
    }
  })
  .describe('A route: a request match, its policies and its upstream (exactly one of http, passthrough, rpc)')

/** Step one of a policy entry: `type` is a string; the other keys belong to the type. */
export const PolicyHead = z.looseObject({ type: z.string().describe('Policy type') })

const section = <T extends z.ZodType>(schema: T, description: string) =>
  schema.nullable().optional().describe(description)

/** The top level of one file; its entries are checked separately (`ServiceEntry`, `PolicyHead`, `RouteEntry`). */
export const FileShape = z.strictObject({
  services: section(z.record(ServiceName, z.unknown()), 'Upstream services, by name'),
  policies: section(z.record(PolicyName, z.unknown()), 'Policy instances, by name'),
  routes: section(z.array(z.unknown()), 'Routes'),
})

/** Any known policy entry: a union discriminated on `type`, so editors complete options per type. */
export function policyEntrySchema(): z.ZodType {
  const variants = [...POLICY_TYPES.values()].map((policy) =>
    z
      .strictObject({ type: z.literal(policy.type).describe(policy.description), ...policy.options.shape })
      .describe(`${policy.type}: ${policy.description}`),
  )
  const [first, ...rest] = variants
  return first === undefined ? z.never() : z.discriminatedUnion('type', [first, ...rest])
}

/** The whole file format in one schema (for the JSON Schema; loading uses the parts above). */
export function documentSchema(): z.ZodType {
  return z.strictObject({
    services: section(z.record(ServiceName, ServiceEntry), 'Upstream services, by name'),
    policies: section(z.record(PolicyName, policyEntrySchema()), 'Policy instances, by name; routes refer to them'),
    routes: section(z.array(RouteEntry), 'Routes; ids are unique across all files'),
  })
}
