/**
 * Which RPC protocol a request speaks, from its headers alone (never its body), so an error can
 * be answered in a form the caller's client library understands. Cheap enough for every error;
 * not used on the success path.
 *
 * - `grpc`: `application/grpc` or `application/grpc+<codec>`
 * - `grpc-web`: `application/grpc-web[+<codec>]`; `grpc-web-text`: `application/grpc-web-text[+<codec>]`
 * - `connect-stream`: `application/connect+<codec>` (Connect streaming)
 * - `connect-unary`: a POST with `Connect-Protocol-Version` (every Connect client sends it), or a
 *   GET with `?connect=v1` (Connect's side-effect-free GET form)
 * Anything else is plain HTTP (problem+json).
 */
export type RpcProtocol = 'grpc' | 'grpc-web' | 'grpc-web-text' | 'connect-unary' | 'connect-stream'

const GRPC_TYPE = /^application\/grpc(-web(-text)?)?(\+[\w.-]+)?$/
const CONNECT_STREAM_TYPE = /^application\/connect\+[\w.-]+$/

/** The media type without parameters, lower-cased: `application/grpc-web+proto; x=1` -> `application/grpc-web+proto`. */
export function mediaType(contentType: string | null | undefined): string {
  if (!contentType) return ''
  const semi = contentType.indexOf(';')
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
}

export function rpcProtocolOf(req: Request): RpcProtocol | undefined {
  const type = mediaType(req.headers.get('content-type'))
  if (type.startsWith('application/grpc')) {
    const m = GRPC_TYPE.exec(type)
    if (m) return m[2] ? 'grpc-web-text' : m[1] ? 'grpc-web' : 'grpc'
  }
  if (CONNECT_STREAM_TYPE.test(type)) return 'connect-stream'
  if (req.method === 'POST' && req.headers.has('connect-protocol-version')) return 'connect-unary'
  if (req.method === 'GET' && /[?&]connect=v1(&|$)/.test(req.url)) return 'connect-unary'
  return undefined
}
