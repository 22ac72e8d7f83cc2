import type { Context } from 'hono'
import type { GatewayEnv } from '../../env.ts'

/** A query parameter's name, decoded the way `c.req.query()` decodes it (undecodable: as is). */
function paramName(part: string): string {
  const eq = part.indexOf('=')
  const raw = eq < 0 ? part : part.slice(0, eq)
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '))
  } catch {
    return raw
  }
}

/** `url` without any `name` query parameter; every other parameter is kept byte for byte. */
export function withoutQueryParam(url: string, name: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const parts = url.slice(q + 1).split('&')
  const kept = parts.filter((part) => paramName(part) !== name)
  if (kept.length === parts.length) return url
  return kept.length > 0 ? `${url.slice(0, q)}?${kept.join('&')}` : url.slice(0, q)
}

/**
 * Takes an accepted query credential (`?access_token=`, `?api_key=`) out of the request, so it is
 * not sent upstream: the forward handler sends the path and query of `c.req.url`. The request is
 * rebuilt around the same method, headers, body stream and signal; this runs only on the rare,
 * opt-in path where a credential came in the query string.
 */
export function dropQueryCredential(c: Context<GatewayEnv>, name: string): void {
  const raw = c.req.raw
  const url = withoutQueryParam(raw.url, name)
  if (url === raw.url) return
  // `duplex` is required by fetch implementations to stream a request body; lib.dom lacks it.
  const init: RequestInit & { duplex?: 'half' } = { method: raw.method, headers: raw.headers, signal: raw.signal }
  // A body a policy already read (and put back, request-body.ts) is sent from there, not from here.
  if (c.get('requestBody') === undefined && raw.body !== null) Object.assign(init, { body: raw.body, duplex: 'half' })
  c.req.raw = new Request(url, init)
}
