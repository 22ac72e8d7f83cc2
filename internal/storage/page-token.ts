import { base64url, fromBase64url } from './bytes.ts'
import { invalidArgument } from './errors.ts'

/**
 * Opaque page tokens: base64url of a small JSON `{ v, l, f, a }` with the listing it belongs to
 * (`l`), the request fields it is bound to (`f`: bucket and prefix; page_size may change between
 * pages) and the last name returned (`a`). The next page starts strictly after `a`, so pages are
 * not one snapshot: names added or removed meanwhile may or may not appear.
 */

interface TokenBody {
  v: 1
  l: string
  f: string[]
  a: string
}

export function encodePageToken(listing: string, fields: string[], after: string): string {
  const body: TokenBody = { v: 1, l: listing, f: fields, a: after }
  return base64url(new TextEncoder().encode(JSON.stringify(body)))
}

/** The name to continue after, or undefined for the first page; INVALID_ARGUMENT for a bad token. */
export function decodePageToken(token: string, listing: string, fields: string[]): string | undefined {
  if (token === '') return undefined
  const body = parse(token)
  if (!body || body.l !== listing) throw invalidArgument(`page_token is not a ${listing} token`)
  if (body.f.length !== fields.length || body.f.some((f, i) => f !== fields[i])) {
    throw invalidArgument(`page_token belongs to a ${listing} call with other request fields`)
  }
  return body.a
}

function parse(token: string): TokenBody | undefined {
  const bytes = fromBase64url(token)
  if (!bytes) return undefined
  try {
    const body: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    if (typeof body !== 'object' || body === null) return undefined
    const { v, l, f, a } = body as Record<string, unknown>
    const ok = v === 1 && typeof l === 'string' && typeof a === 'string'
    return ok && Array.isArray(f) && f.every((x) => typeof x === 'string') ? { v, l, f, a } : undefined
  } catch {
    return undefined
  }
}

/** Lists `limit + 1` to learn whether a next page exists; returns the page and its next token. */
export async function paginate<T>(
  limit: number,
  fetch: (limitPlusOne: number) => Promise<T[]>,
  nameOf: (item: T) => string,
  tokenFor: (after: string) => string,
): Promise<{ items: T[]; nextPageToken: string }> {
  const items = await fetch(limit + 1)
  if (items.length <= limit) return { items, nextPageToken: '' }
  const page = items.slice(0, limit)
  return { items: page, nextPageToken: tokenFor(nameOf(page[page.length - 1] as T)) }
}
