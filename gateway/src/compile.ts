import type { Context } from 'hono'
import { admit, createAdmission } from '../../internal/shell/admission.ts'
import type { AdmissionMetrics } from '../../internal/shell/admission.ts'
import type { Logger } from '../../internal/shell/access-log.ts'
import type { EgressTransport } from '../../internal/shell/egress/index.ts'
import type { HttpExchange } from '../../internal/shell/http-client.ts'
import type { Registry } from '../../internal/shell/metrics.ts'
import type { Bundle, Service } from './bundle/types.ts'
import type { GatewayEnv, GatewayMiddleware, GatewayVariables } from './env.ts'
import { POLICY_TYPES } from './policies/index.ts'
import { createPassthrough, passthroughCors } from './passthrough/index.ts'
import { createForward } from './proxy/forward.ts'
import { createRpcUpstream } from './proxy/rpc-upstream.ts'
import { createUpstreamEndpoints } from './proxy/upstream-endpoints.ts'
import type { UpstreamEndpoints, UpstreamEndpointsOptions } from './proxy/upstream-endpoints.ts'
import { createChain } from './routing/chain.ts'
import { bindingsOf, createTranscoder } from './transcode/index.ts'
import type { ErrorRenderer } from './routing/chain.ts'
import { createRouteTable } from './routing/route-table.ts'
import type { RouteTable, TableRoute } from './routing/route-table.ts'
import { policyFileReader } from './policies/runtime/read-policy-file.ts'

export type RouteHandler = (c: Context<GatewayEnv>) => Promise<Response>

/** A bundle made executable: the route table with one ready chain per route. Immutable. */
export interface CompiledGateway {
  readonly bundle: Bundle
  readonly table: RouteTable<RouteHandler>
  /** Files the policies read (JWKS, API keys): not part of the bundle hash, watched for changes. */
  readonly files: readonly string[]
}

/** What compiling needs from the node: its HTTP client, error renderer, metrics and log. */
export interface CompileDeps {
  readonly http: HttpExchange
  readonly renderError: ErrorRenderer
  readonly metrics: Registry
  readonly log: Logger
  readonly admissionMetrics?: AdmissionMetrics | undefined
  /** Overrides the egress client's breaker defaults and clock for `http` services (tests). */
  readonly upstream?: UpstreamEndpointsOptions | undefined
}

/**
 * Builds every policy instance once (shared by the routes that name it) and every route's
 * chain: its policies in order, then the upstream handler. A route with `concurrency` gets its own
 * admission (one per route per compiled bundle) in front of its policies. Each service gets one
 * set of endpoint breakers and one balancer per compiled bundle, shared by its routes. Throws if the bundle is
 * inconsistent (a validated bundle never is).
 */
export function compileGateway(bundle: Bundle, deps: CompileDeps): CompiledGateway {
  const { http, renderError, admissionMetrics, upstream } = deps
  const instances = new Map<string, GatewayMiddleware>()
  const files = new Set<string>()
  for (const [name, instance] of bundle.policies) {
    const type = POLICY_TYPES.get(instance.type)
    if (!type) throw new Error(`policy "${name}" has unknown type "${instance.type}"`)
    const source = instance.location.file
    const readFile = policyFileReader(name, source, (path) => files.add(path))
    instances.set(name, type.create(instance.options, { name, source, metrics: deps.metrics, log: deps.log, readFile }))
  }
  const upstreams = new Map<string, UpstreamEndpoints>()
  const endpointsOf = (service: Service) => {
    let endpoints = upstreams.get(service.name)
    if (!endpoints) upstreams.set(service.name, (endpoints = createUpstreamEndpoints(service, upstream)))
    return endpoints
  }
  const rpcUpstreams = new Map<string, EgressTransport>()
  const rpcUpstreamOf = (service: Service) => {
    let transport = rpcUpstreams.get(service.name)
    if (!transport) rpcUpstreams.set(service.name, (transport = createRpcUpstream(service, http, deps.metrics, upstream)))
    return transport
  }
  const cors = passthroughCors()
  const table = createRouteTable(
    bundle.routes.flatMap((route): TableRoute<RouteHandler>[] => {
      const service = bundle.services.get(route.upstream.service)
      if (!service) throw new Error(`route "${route.id}" names unknown service "${route.upstream.service}"`)
      const policies = route.policies.map((name) => {
        const handler = instances.get(name)
        if (!handler) throw new Error(`route "${route.id}" names unknown policy "${name}"`)
        return handler
      })
      const limit = route.concurrency
      // One admission per route, shared by all its table entries (an rpc route has one per binding).
      const admission = limit
        ? [admit<GatewayVariables>(createAdmission({ maxConcurrent: limit.limit, maxQueue: limit.queue, maxWaitMs: limit.maxWaitMs, metrics: admissionMetrics, adaptive: limit.adaptive }))]
        : []
      const chain = (terminal: GatewayMiddleware) => createChain([...admission, ...policies, terminal], renderError)
      switch (route.upstream.kind) {
        case 'http':
          return [{ route, value: chain(createForward(route, service, http, endpointsOf(service))) }]
        case 'passthrough': {
          // CORS first: a browser's preflight carries no credentials, so it must not meet the policies.
          const methods = route.match.methods && [...route.match.methods, 'OPTIONS']
          const value = createChain([cors, ...admission, ...policies, createPassthrough(route, service, http, endpointsOf(service))], renderError)
          return [{ route, value, binding: methods && route.match.path !== undefined ? { path: route.match.path, methods } : undefined }]
        }
        case 'rpc': {
          const resolved = bindingsOf(route.upstream.proto)
          if ('error' in resolved) throw new Error(`route "${route.id}": ${resolved.error}`)
          const transport = rpcUpstreamOf(service)
          return resolved.bindings.map((binding) => ({
            route,
            binding: { path: binding.path, methods: [binding.verb] },
            // A unary call is bounded by the route's timeout; a stream lasts as long as the client
            // (or its own deadline header) wants.
            value: chain(createTranscoder(binding, { transport, timeoutMs: binding.method.methodKind === 'unary' ? route.timeoutMs : undefined })),
          }))
        }
      }
    }),
  )
  return { bundle, table, files: [...files] }
}
