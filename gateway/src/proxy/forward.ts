import type { Context } from 'hono'
import type { ConnInfo } from '../../../internal/shell/env.ts'
import { GatewayError } from '../../../internal/shell/errors.ts'
import { FieldList } from '../../../internal/shell/field-list.ts'
import { endToEndFields, isHopByHop, stripHopByHop } from '../../../internal/shell/hop-by-hop.ts'
import type { HttpExchange } from '../../../internal/shell/http-client.ts'
import { requestHeader } from '../../../internal/shell/request-header.ts'
import { respondWithFields } from '../../../internal/shell/response-fields.ts'
import type { RouteSpec, Service } from '../bundle/types.ts'
import type { GatewayEnv, GatewayMiddleware } from '../env.ts'
import { requestBodyOf } from '../request-body.ts'
import { rawPathAndQuery } from '../routing/request-url.ts'
import type { UpstreamEndpoint, UpstreamEndpoints } from './upstream-endpoints.ts'

/**
 * The headers to send upstream, before policies run: the client's end-to-end headers plus
 * `x-forwarded-*`, `x-request-id` and our `traceparent`.
 */
export function upstreamHeadersFor(c: Context<GatewayEnv>): FieldList {
  return forwardedFields(c.env, c.req.raw, requestHeader(c, 'host'), c.get('requestId'), c.get('traceparent'))
}

/**
 * `upstreamHeadersFor` from its parts: the connection, the request (its `Headers` only read when the
 * runtime gave no raw fields), its Host, and the ids to send on.
 */
export function forwardedFields(conn: ConnInfo | undefined, request: Request, host: string | undefined, requestId: string, traceparent: string): FieldList {
  const received = conn?.rawHeaders
  const headers = received ? FieldList.fromReceived(received, isHopByHop(received)) : endToEndFields(request.headers)
  // Every value below was made here or accepted by the runtime's parser: no re-validation.
  const remote = conn?.remoteAddress
  if (remote) {
    const prior = headers.get('x-forwarded-for')
    headers.replace('x-forwarded-for', prior ? `${prior}, ${remote}` : remote)
  }
  headers.replace('x-forwarded-proto', conn?.protocol ?? 'http')
  if (host) headers.replace('x-forwarded-host', host)
  headers.replace('x-request-id', requestId)
  headers.replace('traceparent', traceparent)
  return headers
}

/**
 * The terminal handler of an `http` route: streams the request to an endpoint of the service
 * (round robin over those whose circuit breaker allows a request) and streams the answer back.
 * The route timeout bounds the wait for the response headers (504 TIMEOUT); a refused or reset
 * connection is 503 UNAVAILABLE, after trying the other allowed endpoints when the request has no
 * body (nothing was consumed, so failing over is safe). Only UNAVAILABLE and TIMEOUT count against
 * an endpoint's breaker; any response (a 503 too) is a success. With every breaker open the answer
 * is 503 UNAVAILABLE at once, without a connection attempt.
 */
export function createForward(route: RouteSpec, service: Service, http: HttpExchange, upstream: UpstreamEndpoints): GatewayMiddleware {
  const forwardWithin = createForwarder(service, http, upstream)
  const timeoutMs = route.timeoutMs
  return function forward(c) {
    return forwardWithin(c, timeoutMs)
  }
}

/**
 * Forwards the request of `c` as `createForward` does, with a timeout (to response headers) and
 * optionally a body chosen per request: the `passthrough` handler derives both from the caller's
 * deadline and protocol. `body` undefined = the client's body as it streams in.
 */
export type Forwarder = (c: Context<GatewayEnv>, timeoutMs: number, body?: ReadableStream<Uint8Array> | Uint8Array | null) => Promise<Response>

export function createForwarder(service: Service, http: HttpExchange, upstream: UpstreamEndpoints): Forwarder {
  return async function forwardWithin(c, timeoutMs, requestBody) {
    const headers = c.get('upstreamHeaders')
    if (service.preserveHost) {
      const host = requestHeader(c, 'host')
      if (host) headers.set('host', host)
    } else {
      headers.delete('host')
    }
    const method = c.req.method
    const body = requestBody !== undefined ? requestBody : method === 'GET' || method === 'HEAD' ? null : requestBodyOf(c)
    const path = rawPathAndQuery(c.req.url)
    let endpoint = upstream.pick()
    let tried: UpstreamEndpoint[] | undefined // only allocated on failover
    for (;;) {
      // pick() only returns an endpoint whose breaker allows a request, so a permit is there.
      const permit = endpoint?.breaker.acquire()
      if (endpoint === undefined || permit === undefined) throw new GatewayError('UNAVAILABLE', `upstream ${service.name} has no healthy endpoint`)
      let res
      try {
        res = await http({ origin: endpoint.origin, path, method, headers, body, timeoutMs, onClientGone: c.env?.onClientGone })
      } catch (err) {
        const code = err instanceof GatewayError ? err.code : undefined
        if (code === 'UNAVAILABLE' || code === 'TIMEOUT') permit.failure()
        else permit.release() // canceled by the client, or not the endpoint's doing
        if (code !== 'UNAVAILABLE' || body !== null) throw err
        ;(tried ??= []).push(endpoint)
        endpoint = upstream.pick(tried)
        if (endpoint === undefined) throw err // every allowed endpoint refused: its error, not "no healthy endpoint"
        continue
      }
      permit.success()
      // A plain record (Node) goes out without ever becoming WHATWG Headers; else edit the Headers we own in place.
      if (res.fields) return respondWithFields(c, res.body, res.status, res.fields)
      if (res.response) {
        stripHopByHop(res.response.headers)
        return res.response // as the runtime gave it: its body is piped without passing through JS
      }
      return new Response(res.body, { status: res.status, headers: stripHopByHop(res.headers) })
    }
  }
}
