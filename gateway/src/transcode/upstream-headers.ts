import type { MutableFields } from '../../../internal/shell/field-list.ts'

/**
 * The headers an RPC carries upstream: the policies' upstream headers (request id,
 * traceparent, forwarded claims, authorization...) minus those describing the client's HTTP
 * message, which the transport sets for its own (a stale content-length or content-type would
 * corrupt the call), and minus any protocol header a client could smuggle in.
 */
const DROPPED = new Set(['content-type', 'content-length', 'content-encoding', 'accept', 'accept-encoding', 'host', 'expect', 'te', 'transfer-encoding'])
const PROTOCOL_PREFIXES = ['connect-', 'grpc-']

export function rpcHeaders(upstream: MutableFields): Headers {
  const headers = new Headers()
  upstream.forEach((value, name) => {
    if (DROPPED.has(name) || PROTOCOL_PREFIXES.some((p) => name.startsWith(p))) return
    headers.append(name, value)
  })
  return headers
}
