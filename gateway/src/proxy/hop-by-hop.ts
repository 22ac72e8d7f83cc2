/** Headers that describe one connection, not the message (RFC 9110 7.6.1), plus `expect`. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
])

/** The names listed in a `connection` header (lower-case), which are hop-by-hop too. */
function listedIn(connection: string | null): ReadonlySet<string> | undefined {
  if (!connection) return undefined
  return new Set(connection.split(',').map((name) => name.trim().toLowerCase()))
}

/**
 * Deletes hop-by-hop headers in place, including every header the `connection` header names.
 * One pass over the headers; deletes only what is there (usually nothing).
 */
export function stripHopByHop(headers: Headers): Headers {
  const listed = listedIn(headers.get('connection'))
  let doomed: string[] | undefined
  headers.forEach((_value, name) => {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) (doomed ??= []).push(name)
  })
  if (doomed) for (const name of doomed) headers.delete(name)
  return headers
}

/** A new Headers with the end-to-end headers of `headers` (one pass, no deletes). */
export function copyEndToEnd(headers: Headers): Headers {
  const listed = listedIn(headers.get('connection'))
  const copy = new Headers()
  headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && !listed?.has(name)) copy.append(name, value)
  })
  return copy
}
