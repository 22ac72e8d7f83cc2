import { GatewayError } from '../../internal/shell/errors.ts'
import { requestHeader } from '../../internal/shell/request-header.ts'
import type { HttpExchange } from '../../internal/shell/http-client.ts'
import { admissionMetrics } from '../../internal/shell/shell.ts'
import type { Shell } from '../../internal/shell/shell.ts'
import type { Bundle } from './bundle/types.ts'
import { compileGateway } from './compile.ts'
import type { CompiledGateway } from './compile.ts'
import type { GatewayVariables } from './env.ts'
import { upstreamHeadersFor } from './proxy/forward.ts'
import type { UpstreamEndpointsOptions } from './proxy/upstream-endpoints.ts'
import { hostOf, rawPath } from './routing/request-url.ts'

export interface Gateway {
  /** The bundle serving new requests, if any. */
  readonly current: CompiledGateway | undefined
  /** Compiles and swaps in a bundle atomically; requests in flight finish on the one they started with. */
  apply(bundle: Bundle): CompiledGateway
}

const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/

export interface GatewayOptions {
  /** Per-endpoint breakers of `http` services: options over the egress client's defaults, clock. */
  upstream?: UpstreamEndpointsOptions | undefined
}

/** Mounts the edge gateway on a shell: match the route, run its chain, answer. */
export function createGateway(shell: Shell<GatewayVariables>, http: HttpExchange, options: GatewayOptions = {}): Gateway {
  let current: CompiledGateway | undefined
  const routeAdmissionMetrics = admissionMetrics(shell.metrics, 'route')

  shell.lifecycle.addCheck('bundle', () => (current ? undefined : 'no valid policy bundle loaded'))
  shell.addDebugView('routes', () => ({
    hash: current?.bundle.hash,
    routes: current?.bundle.routes.map((r) => ({ id: r.id, match: r.match, policies: r.policies, upstream: r.upstream })),
  }))

  // Not async: errors thrown here reach hono's onError all the same, without one more promise per request.
  shell.app.all('*', function dispatch(c) {
    const compiled = current // pinned for the whole request: a swap never changes a request midway
    if (!compiled) throw new GatewayError('UNAVAILABLE', 'no policy bundle loaded')
    const path = rawPath(c.req.url)
    if (path.includes('%') && BAD_ESCAPE.test(path)) throw new GatewayError('INVALID_ARGUMENT', 'invalid percent-encoding in path')
    let result
    try {
      result = compiled.table.match({ method: c.req.method, host: hostOf(requestHeader(c, 'host')), path, headers: c.req.raw.headers })
    } catch {
      throw new GatewayError('INVALID_ARGUMENT', 'invalid percent-encoding in path')
    }
    if (result.kind === 'none') throw new GatewayError('NOT_FOUND', `no route for ${c.req.method} ${path}`)
    if (result.kind === 'method-not-allowed') {
      throw new GatewayError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed here`, {
        headers: { allow: result.allow.join(', ') },
      })
    }
    c.set('routeId', result.route.id)
    c.set('params', result.params)
    c.set('upstreamHeaders', upstreamHeadersFor(c))
    return result.value(c)
  })

  return {
    get current() {
      return current
    },
    apply(bundle) {
      const compiled = compileGateway(bundle, {
        http,
        renderError: shell.renderError,
        metrics: shell.metrics,
        log: shell.log,
        admissionMetrics: routeAdmissionMetrics,
        upstream: options.upstream,
      })
      current = compiled
      return compiled
    },
  }
}
