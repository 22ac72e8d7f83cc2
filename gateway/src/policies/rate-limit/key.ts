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

/** The value of a key part for a request; undefined (or '') means "fall back to the client ip". */
type PartValue = (c: Context<GatewayEnv>) => string | undefined

function partValue(part: KeyPart): PartValue {
  switch (part) {
    case 'ip':
      return () => undefined
    case 'subject':
      return (c) => c.get('principal')?.subject
    case 'tenant':
      return (c) => c.get('principal')?.tenant
    case 'apikey':
      return apiKeyId
    case 'route':
      return (c) => c.get('routeId')
    default: {
      const header = part.slice('header:'.length)
      return (c) => c.req.raw.headers.get(header) ?? undefined
    }
  }
}

/** Route ids are a fixed set per bundle: their `route=<id>` pair is built once each. Bounded against odd callers. */
const MAX_CACHED_PAIRS = 1024

/**
 * The bucket key function of a key: one `kind=value` per part, joined by `&` (values
 * URI-encoded so parts cannot run into each other). A part that needs an absent principal,
 * tenant or header falls back to `ip=<client ip>`, so anonymous callers get per-address buckets
 * instead of sharing one global bucket; the ip pair appears once however many parts fall back.
 * Built once per policy: per request it reads the parts and joins strings, nothing else.
 */
export function createBucketKey(parts: readonly KeyPart[], trustedProxies: number): (c: Context<GatewayEnv>) => string {
  const kinds = parts.map((part) => (part === 'ip' ? undefined : `${encodeURIComponent(part)}=`))
  const values = parts.map(partValue)
  const routePairs = new Map<string, string>()
  const pairOf = (i: number, value: string): string => {
    if (parts[i] !== 'route') return `${kinds[i]}${encodeURIComponent(value)}`
    let pair = routePairs.get(value)
    if (pair === undefined) {
      pair = `${kinds[i]}${encodeURIComponent(value)}`
      if (routePairs.size < MAX_CACHED_PAIRS) routePairs.set(value, pair)
    }
    return pair
  }
  return function bucketKeyOf(c) {
    let key = ''
    let ipAdded = false
    for (let i = 0; i < parts.length; i++) {
      const value = kinds[i] === undefined ? undefined : (values[i] as PartValue)(c)
      let pair: string
      if (value === undefined || value === '') {
        if (ipAdded) continue
        ipAdded = true
        pair = `ip=${encodeURIComponent(clientIp(c, trustedProxies))}`
      } else pair = pairOf(i, value)
      key = key === '' ? pair : `${key}&${pair}`
    }
    return key
  }
}
