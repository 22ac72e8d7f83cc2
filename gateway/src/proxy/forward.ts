import type { Context } from 'hono'
import { GatewayError } from '../../../internal/shell/errors.ts'
import type { HttpExchange } from '../../../internal/shell/http-client.ts'
import type { RouteSpec, Service } from '../bundle/types.ts'
import type { GatewayEnv, GatewayMiddleware } from '../env.ts'
import { rawPathAndQuery } from '../routing/request-url.ts'
import { roundRobin } from './balancer.ts'
import { copyEndToEnd, stripHopByHop } from './hop-by-hop.ts'

/**
 * The headers to send upstream, before policies run: the client's end-to-end headers plus
 * `x-forwarded-*`, `x-request-id` and our `traceparent`.
 */
export function upstreamHeadersFor(c: Context<GatewayEnv>): Headers {
  const headers = copyEndToEnd(c.req.raw.headers)
  const remote = c.env?.remoteAddress
  if (remote) {
    const prior = headers.get('x-forwarded-for')
    headers.set('x-forwarded-for', prior ? `${prior}, ${remote}` : remote)
  }
  headers.set('x-forwarded-proto', c.env?.protocol ?? 'http')
  const host = c.req.header('host')
  if (host) headers.set('x-forwarded-host', host)
  headers.set('x-request-id', c.get('requestId'))
  headers.set('traceparent', c.get('traceparent'))
  return headers
}

/**
 * The terminal handler of an `http` route: streams the request to the next endpoint of the
 * service (round robin) and streams the answer back. The route timeout bounds the wait for the
 * response headers (504 TIMEOUT); a refused or reset connection is 503 UNAVAILABLE, after trying
 * the other endpoints when the request has no body (nothing was consumed, so failing over is safe).
 */
export function createForward(route: RouteSpec, service: Service, http: HttpExchange): GatewayMiddleware {
  const endpoints = roundRobin(service.endpoints.map((e) => e.url.origin))
  const timeoutMs = route.timeoutMs
  return async function forward(c) {
    const headers = c.get('upstreamHeaders')
    if (service.preserveHost) {
      const host = c.req.header('host')
      if (host) headers.set('host', host)
    } else {
      headers.delete('host')
    }
    const method = c.req.method
    const body = method === 'GET' || method === 'HEAD' ? null : c.req.raw.body
    const path = rawPathAndQuery(c.req.url)
    const attempts = body === null ? endpoints.size : 1
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await http({ origin: endpoints.next(), path, method, headers, body, timeoutMs, onClientGone: c.env?.onClientGone })
        // The client hands over a Headers object we own: edit it in place, no copy.
        return new Response(res.body, { status: res.status, headers: stripHopByHop(res.headers) })
      } catch (err) {
        const failover = err instanceof GatewayError && err.code === 'UNAVAILABLE'
        if (!failover || attempt >= attempts) throw err
      }
    }
  }
}
