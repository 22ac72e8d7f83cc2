import { GatewayError } from '../../../internal/shell/errors.ts'
import type { HttpExchange } from '../../../internal/shell/http-client.ts'
import { mediaType, rpcProtocolOf } from '../../../internal/shell/rpc-protocol.ts'
import type { RouteSpec, Service } from '../bundle/types.ts'
import type { GatewayMiddleware } from '../env.ts'
import { createForwarder } from '../proxy/forward.ts'
import type { UpstreamEndpoints } from '../proxy/upstream-endpoints.ts'
import { applyDeadline } from './deadline.ts'
import { requestBodyOf, requestStreamOf } from '../request-body.ts'
import { readBoundedMessage } from './read-bounded.ts'
import { binaryContentType, encodeTextStream, readTextBody, textContentType } from './grpc-web-text.ts'

export interface PassthroughOptions {
  /**
   * Largest Connect unary request (its body is one message), by Content-Length (a body without
   * one is read whole to measure it); over it is PAYLOAD_TOO_LARGE (resource_exhausted) before any
   * upstream call. Default 4 MiB, gRPC's default.
   * Enveloped messages (gRPC, gRPC-web, Connect streams) are the service's to limit (readMaxBytes).
   */
  readonly maxMessageBytes?: number | undefined
  /** Largest gRPC-web-text request body (base64 text) read to decode; over it is PAYLOAD_TOO_LARGE. Default 4 MiB. */
  readonly maxTextBodyBytes?: number | undefined
}

/**
 * The terminal handler of a `passthrough` route: forwards a Connect, gRPC-web or gRPC call to the
 * service as it is (the `http` forwarder: streaming, breakers, failover), under the call's
 * deadline (deadline.ts) sent upstream in the caller's header. gRPC-web-text is turned into
 * binary gRPC-web on the way up and back into text on the way down. Its own failures (malformed
 * timeout, bad base64, timeout, unreachable service) are GatewayErrors, which the shell renders
 * in the caller's protocol (internal/shell/rpc-errors.ts). Anything else (plain HTTP) is
 * forwarded like an `http` route.
 */
export function createPassthrough(route: RouteSpec, service: Service, http: HttpExchange, endpoints: UpstreamEndpoints, options: PassthroughOptions = {}): GatewayMiddleware {
  const forwardWithin = createForwarder(service, http, endpoints)
  const routeTimeoutMs = route.timeoutMs
  const maxTextBodyBytes = options.maxTextBodyBytes ?? 4 * 1024 * 1024
  const maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024

  return async function passthrough(c) {
    const req = c.req.raw
    const protocol = rpcProtocolOf(req)
    if (protocol === undefined) return forwardWithin(c, routeTimeoutMs)
    const upstream = c.get('upstreamHeaders')
    const header = protocol === 'grpc' || protocol === 'grpc-web' || protocol === 'grpc-web-text' ? 'grpc-timeout' : 'connect-timeout-ms'
    const timeoutMs = applyDeadline(req.headers, upstream, header, routeTimeoutMs)
    const body = requestBodyOf(c)
    if (protocol === 'connect-unary' && body !== null) {
      const length = body instanceof Uint8Array ? String(body.byteLength) : req.headers.get('content-length')
      if (length === null) {
        // Chunked (rare for a unary call): read it to measure it; it is one message anyway.
        return forwardWithin(c, timeoutMs, await readBoundedMessage(requestStreamOf(c), maxMessageBytes, 'request message'))
      }
      if (Number(length) > maxMessageBytes) throw new GatewayError('PAYLOAD_TOO_LARGE', `request message over ${maxMessageBytes} bytes`)
    }
    if (protocol !== 'grpc-web-text') return forwardWithin(c, timeoutMs)

    const bytes = await readTextBody(requestStreamOf(c), maxTextBodyBytes)
    upstream.set('content-type', binaryContentType(mediaType(req.headers.get('content-type'))))
    upstream.set('content-length', String(bytes.length))
    const res = await forwardWithin(c, timeoutMs, bytes)
    const type = mediaType(res.headers.get('content-type'))
    if (!type.startsWith('application/grpc-web')) return res // not a gRPC-web answer (e.g. a 404 from elsewhere): as it came
    res.headers.set('content-type', textContentType(type))
    res.headers.delete('content-length')
    return res.body === null ? res : new Response(encodeTextStream(res.body), res)
  }
}
