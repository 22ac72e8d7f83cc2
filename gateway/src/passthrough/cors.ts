import { GatewayError } from '../../../internal/shell/errors.ts'
import type { GatewayMiddleware } from '../env.ts'

/**
 * CORS for Connect and gRPC-web calls from browsers, first in a passthrough route's chain so it
 * also decorates the errors later policies produce. Defaults (README.md next to this file):
 * any origin is echoed back, without credentials: the calls carry their credentials in headers
 * (`authorization`), never in cookies, so no site can ride on a user's cookies. With `origins`,
 * only those may call; `credentials: true` needs `origins`.
 */

export interface PassthroughCorsOptions {
  /** Origins allowed to call (`https://app.example.com`, or `https://*.example.com` for its subdomains). Absent = any. */
  readonly origins?: readonly string[] | undefined
  /** Sends `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). Only with `origins`. Default false. */
  readonly credentials?: boolean | undefined
  /** How long a browser may cache a preflight, in seconds (Chromium caps it at 7200). Default 7200. */
  readonly maxAgeSeconds?: number | undefined
}

/** Request headers the protocols and our correlation use; always allowed. */
export const ALLOWED_HEADERS = [
  'content-type', 'authorization', 'x-request-id', 'traceparent', 'tracestate',
  'connect-protocol-version', 'connect-timeout-ms', 'connect-content-encoding', 'connect-accept-encoding',
  'x-grpc-web', 'x-user-agent', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding',
] as const

/**
 * Response headers a browser script may read. The gRPC status headers matter most: a
 * trailers-only error (what the gateway itself answers) carries the status only there, and a
 * client that cannot read them reports "unknown: missing trailer".
 */
export const EXPOSED_HEADERS = [
  'grpc-status', 'grpc-message', 'grpc-status-details-bin', 'grpc-encoding', 'grpc-accept-encoding',
  'connect-content-encoding', 'connect-accept-encoding', 'content-encoding',
  'x-request-id', 'traceparent', 'retry-after', 'www-authenticate',
  'ratelimit', 'ratelimit-policy', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset',
].join(', ')

/**
 * Names a preflight may ask for beyond ALLOWED_HEADERS (custom metadata such as `x-tenant`): a
 * token of at most 64 characters, not one that speaks for the proxy or the connection.
 */
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]{1,64}$/
const NEVER = /^(?:cookie|host|forwarded|x-forwarded-.*|x-real-ip|proxy-.*|sec-.*|connection|keep-alive|te|trailer|transfer-encoding|upgrade|content-length)$/
const MAX_REQUESTED = 32
const METHODS = 'POST, GET'

export function passthroughCors(options: PassthroughCorsOptions = {}): GatewayMiddleware {
  const { origins, credentials = false, maxAgeSeconds = 7200 } = options
  if (credentials && !origins) throw new TypeError('passthroughCors: "credentials" needs an "origins" allow-list')
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 0) throw new TypeError('passthroughCors: "maxAgeSeconds" must be a non-negative integer')
  const allowed = originMatcher(origins)
  const maxAge = String(maxAgeSeconds)
  const always = new Set<string>(ALLOWED_HEADERS)

  return async function passthroughCors(c, next) {
    const origin = c.req.header('origin')
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined) {
      if (origin === undefined || !allowed(origin)) throw new GatewayError('PERMISSION_DENIED', 'origin not allowed to call this route')
      const headers = new Headers({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': METHODS,
        'access-control-allow-headers': allowHeaders(c.req.header('access-control-request-headers'), always),
        'access-control-max-age': maxAge,
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      })
      if (credentials) headers.set('access-control-allow-credentials', 'true')
      return new Response(null, { status: 204, headers })
    }
    await next()
    let res = c.res
    try {
      res.headers.append('vary', 'Origin')
    } catch {
      res = c.res = new Response(res.body, res) // immutable headers (a fetch Response): copy once
      res.headers.append('vary', 'Origin')
    }
    if (origin === undefined || !allowed(origin)) return
    res.headers.set('access-control-allow-origin', origin)
    res.headers.set('access-control-expose-headers', EXPOSED_HEADERS)
    if (credentials) res.headers.set('access-control-allow-credentials', 'true')
  }
}

/** The always-allowed headers plus those the preflight asks for that pass the safety check. */
function allowHeaders(requested: string | undefined, always: ReadonlySet<string>): string {
  const names = new Set(always)
  if (requested) {
    const asked = requested.toLowerCase().split(',')
    for (let i = 0; i < asked.length && i < MAX_REQUESTED; i++) {
      const name = (asked[i] as string).trim()
      if (TOKEN.test(name) && !NEVER.test(name)) names.add(name)
    }
  }
  return [...names].join(', ')
}

function originMatcher(origins: readonly string[] | undefined): (origin: string) => boolean {
  if (!origins) return (origin) => origin !== 'null' // opaque origins (sandboxed frames, file:) are never trusted
  const exact = new Set<string>()
  const suffixes: { scheme: string; suffix: string }[] = []
  for (const entry of origins) {
    const wildcard = /^(https?:\/\/)\*(\.[^/*]+)$/.exec(entry)
    if (wildcard) suffixes.push({ scheme: wildcard[1] as string, suffix: (wildcard[2] as string).toLowerCase() })
    else if (/^https?:\/\/[^/*]+$/.test(entry)) exact.add(entry.toLowerCase())
    else throw new TypeError(`passthroughCors: "${entry}" is not an origin (scheme://host[:port], or scheme://*.domain)`)
  }
  return (origin) => {
    const o = origin.toLowerCase()
    if (exact.has(o)) return true
    return suffixes.some(({ scheme, suffix }) => o.startsWith(scheme) && o.endsWith(suffix) && o.length > scheme.length + suffix.length)
  }
}
