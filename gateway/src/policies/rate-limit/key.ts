import type { Context } from 'hono'
import type { GatewayEnv } from '../../env.ts'
import type { KeyPart } from './options.ts'

/** Bucket key of a request whose peer address is unknown (no runtime address, no trusted hop). */
export const UNKNOWN_IP = 'unknown'

/**
 * The client address: with `trustedProxies` = N > 0, the N-th x-forwarded-for entry from the
 * right (the address the outermost trusted proxy saw); entries left of it are client-supplied
 * and ignored. With fewer entries than N the leftmost one is used (the client reached an inner
 * proxy directly). With N = 0, or without the header, the peer address.
 */
export function clientIp(c: Context<GatewayEnv>, trustedProxies: number): string {
  const peer = c.get('remoteAddress') ?? UNKNOWN_IP
  if (trustedProxies === 0) return peer
  const hops = (c.req.raw.headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
  return hops[Math.max(0, hops.length - trustedProxies)] ?? peer
}

/** The id of the API key the `api-key` policy authenticated (its principal's `key_id` claim), if any. */
function apiKeyId(c: Context<GatewayEnv>): string | undefined {
  const id = c.get('principal')?.claims.key_id
  return typeof id === 'string' ? id : undefined
}

/**
 * The bucket key of a request: one `kind=value` per part, joined by `&` (values URI-encoded so
 * parts cannot run into each other). A part that needs an absent principal, tenant or header
 * falls back to `ip=<client ip>`, so anonymous callers get per-address buckets instead of
 * sharing one global bucket.
 */
export function bucketKey(c: Context<GatewayEnv>, parts: readonly KeyPart[], trustedProxies: number): string {
  let ip: string | undefined
  const byIp = () => `ip=${encodeURIComponent((ip ??= clientIp(c, trustedProxies)))}`
  const pair = (kind: string, value: string | undefined) =>
    value === undefined || value === '' ? byIp() : `${encodeURIComponent(kind)}=${encodeURIComponent(value)}`
  const out = parts.map((part) => {
    switch (part) {
      case 'ip':
        return byIp()
      case 'subject':
        return pair('subject', c.get('principal')?.subject)
      case 'tenant':
        return pair('tenant', c.get('principal')?.tenant)
      case 'apikey':
        return pair('apikey', apiKeyId(c))
      case 'route':
        return pair('route', c.get('routeId'))
      default:
        return pair(part, c.req.raw.headers.get(part.slice('header:'.length)) ?? undefined)
    }
  })
  return [...new Set(out)].join('&')
}
