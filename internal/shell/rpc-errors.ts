import { CODE_INFO, CONNECT_HTTP_STATUS, renderProblem, toGatewayError } from './errors.ts'
import type { GatewayError } from './errors.ts'
import { mediaType, rpcProtocolOf } from './rpc-protocol.ts'
import type { RpcProtocol } from './rpc-protocol.ts'

/**
 * An error rendered once, in the caller's protocol, so its client library reports the real code:
 * - gRPC and gRPC-web (binary and -text): a trailers-only response, HTTP 200 with `grpc-status`
 *   and `grpc-message` as headers and no body (what a gRPC server sends when it fails before any
 *   message; a browser needs them in Access-Control-Expose-Headers, see gateway/src/passthrough);
 * - Connect unary: `{"code","message"}` as application/json with Connect's HTTP status;
 * - Connect streaming: HTTP 200 and a single end-stream frame carrying `{"error":{...}}`;
 * - anything else: RFC 9457 problem+json (errors.ts).
 * The taxonomy's headers (retry-after, www-authenticate, allow, ...) are kept in every form.
 */
export function renderForCaller(err: unknown, req: Request, requestId: string | undefined): Response {
  const protocol = rpcProtocolOf(req)
  if (protocol === undefined) return renderProblem(err, requestId)
  return renderRpcError(toGatewayError(err), protocol, req.headers.get('content-type'))
}

const END_STREAM_FLAG = 0b0000_0010
/**
 * NOT_FOUND from the renderer means no route or handler matched the path: to an RPC client that is
 * an unknown method, which gRPC and Connect call `unimplemented` (a service's own not_found is
 * its response, passed through, never a GatewayError here).
 */
const NO_SUCH_METHOD = { connect: 'unimplemented', grpc: 12 } as const
const DEFAULT_TYPE: Readonly<Record<RpcProtocol, string>> = {
  grpc: 'application/grpc+proto',
  'grpc-web': 'application/grpc-web+proto',
  'grpc-web-text': 'application/grpc-web-text+proto',
  'connect-stream': 'application/connect+proto',
  'connect-unary': 'application/json',
}

/** `err` for a caller speaking `protocol`; `requestType` is the request's content-type, echoed where the protocol wants it. */
export function renderRpcError(err: GatewayError, protocol: RpcProtocol, requestType: string | null): Response {
  const info = err.code === 'NOT_FOUND' ? NO_SUCH_METHOD : CODE_INFO[err.code]
  const headers = new Headers(err.headers)
  headers.set('cache-control', 'no-store')
  if (protocol === 'connect-unary') {
    headers.set('content-type', 'application/json')
    return new Response(JSON.stringify({ code: info.connect, message: err.message }), { status: CONNECT_HTTP_STATUS[info.connect], headers })
  }
  headers.set('content-type', mediaType(requestType) || DEFAULT_TYPE[protocol])
  if (protocol === 'connect-stream') {
    return new Response(endStreamFrame({ error: { code: info.connect, message: err.message } }), { status: 200, headers })
  }
  headers.set('grpc-status', String(info.grpc))
  headers.set('grpc-message', encodeGrpcMessage(err.message))
  return new Response(null, { status: 200, headers })
}

/** A Connect streaming envelope with the end-stream flag and a JSON payload. */
export function endStreamFrame(payload: unknown): Uint8Array<ArrayBuffer> {
  const json = new TextEncoder().encode(JSON.stringify(payload))
  const frame = new Uint8Array(5 + json.length)
  frame[0] = END_STREAM_FLAG
  new DataView(frame.buffer).setUint32(1, json.length)
  frame.set(json, 5)
  return frame
}

/** gRPC's `grpc-message` encoding: UTF-8, percent-encoding every byte outside printable ASCII and `%` itself. */
export function encodeGrpcMessage(message: string): string {
  let out = ''
  for (const byte of new TextEncoder().encode(message)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}
