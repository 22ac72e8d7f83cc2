/**
 * Policy files -> one validated `Bundle`, or a `BundleError` with every problem found. Files are
 * merged in file-name order; the hash covers the normalised content, not formatting or file names.
 */
import { BundleError } from './bundle-error.ts'
import { collectFile, emptyCollection, isMap, report } from './collect.ts'
import type { Collection, CollectedRoute } from './collect.ts'
import { canonicalJson, sha256Hex } from './hash.ts'
import { bindingsOf } from '../transcode/index.ts'
import { PROTO_NAME } from './schema.ts'
import { didYouMean } from './suggest.ts'
import type { Bundle, PolicyInstance, RouteSpec, RouteUpstream, Service, SourceFile } from './types.ts'
import { parseSource } from './yaml-source.ts'

export { BundleError } from './bundle-error.ts'

/** Timeout of a route when neither the route nor its service sets one. */
export const DEFAULT_TIMEOUT_MS = 30_000
/** Longest wait for a route's concurrency slot when `concurrency.maxWait` is not set. */
export const DEFAULT_MAX_WAIT_MS = 1_000

export async function loadBundle(files: readonly SourceFile[]): Promise<Bundle> {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const c = emptyCollection()
  for (const file of sorted) collectFile(c, parseSource(file))
  c.routes.forEach((route) => checkReferences(c, route))
  if (c.problems.length > 0) throw new BundleError(c.problems)
  const bundle = build(c)
  return { hash: await contentHash(bundle), files: sorted.map((f) => f.path), ...bundle }
}

/** SHA-256 of the normalised content: locations and file names left out, so moving text around does not count. */
function contentHash({ services, policies, routes }: Omit<Bundle, 'hash' | 'files'>): Promise<string> {
  const content = {
    services,
    policies: [...policies.values()].map(({ location: _, ...policy }) => policy),
    routes: routes.map(({ location: _, ...route }) => route),
  }
  return sha256Hex(canonicalJson(content))
}

/** Route -> policy and route -> service names, read from the raw route so that broken routes are checked too. */
function checkReferences(c: Collection, route: CollectedRoute): void {
  if (!isMap(route.raw)) return
  const at = (...rest: (string | number)[]) => ({ local: ['routes', route.local, ...rest], shown: ['routes', route.index, ...rest] })
  const fail = (where: ReturnType<typeof at>, message: string) =>
    report(c, route.file, { path: where.local, target: 'value', message }, where.shown)
  const { policies, http, passthrough, rpc } = route.raw
  if (Array.isArray(policies)) {
    const seen = new Set<string>()
    policies.forEach((name: unknown, i) => {
      if (typeof name !== 'string') return
      if (!c.policies.has(name)) fail(at('policies', i), `unknown policy "${name}"${didYouMean(name, c.policies.keys())}`)
      else if (seen.has(name)) fail(at('policies', i), `policy "${name}" is listed twice`)
      seen.add(name)
    })
  }
  const service = (name: unknown, ...where: string[]) => {
    if (typeof name === 'string' && !c.services.has(name)) fail(at(...where), `unknown service "${name}"${didYouMean(name, c.services.keys())}`)
  }
  service(http, 'http')
  service(passthrough, 'passthrough')
  if (isMap(rpc)) {
    service(rpc.service, 'rpc', 'service')
    const resolved = typeof rpc.proto === 'string' && PROTO_NAME.test(rpc.proto) ? bindingsOf(rpc.proto) : undefined
    if (resolved && 'error' in resolved) fail(at('rpc', 'proto'), resolved.error)
  }
}

function upstreamOf(route: { http?: string | undefined; passthrough?: string | undefined; rpc?: { service: string; proto: string } | undefined }): RouteUpstream {
  if (route.rpc) return { kind: 'rpc', service: route.rpc.service, proto: route.rpc.proto }
  if (route.passthrough !== undefined) return { kind: 'passthrough', service: route.passthrough }
  if (route.http !== undefined) return { kind: 'http', service: route.http }
  throw new Error('a validated route has an upstream') // the schema guarantees exactly one
}

/** The bundle's content from the valid entries (only called when there are no problems). */
function build(c: Collection): Omit<Bundle, 'hash' | 'files'> {
  const services = new Map<string, Service>()
  for (const [name, { value }] of c.services) {
    if (!value) continue
    services.set(name, {
      name,
      kind: value.kind,
      endpoints: value.endpoints.map((e) => ({ url: e.url, zone: e.zone })),
      timeoutMs: value.timeout,
      preserveHost: value.preserveHost,
    })
  }
  const policies = new Map<string, PolicyInstance>()
  for (const [name, { value, location }] of c.policies) {
    if (value) policies.set(name, { name, type: value.type, options: value.options, location })
  }
  const routes: RouteSpec[] = []
  for (const { value, location } of c.routes) {
    if (!value) continue
    const { match } = value
    const upstream = upstreamOf(value)
    routes.push({
      id: value.id,
      match: { methods: match.method, host: match.host, path: match.path, headers: match.headers ?? {} },
      policies: value.policies,
      timeoutMs: value.timeout ?? services.get(upstream.service)?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      upstream,
      concurrency: value.concurrency && {
        limit: value.concurrency.limit,
        queue: value.concurrency.queue,
        maxWaitMs: value.concurrency.maxWait ?? DEFAULT_MAX_WAIT_MS,
        adaptive: value.concurrency.adaptive,
      },
      location,
    })
  }
  return { services, policies, routes }
}
