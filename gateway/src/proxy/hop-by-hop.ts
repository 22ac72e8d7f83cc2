/** Headers that describe one connection, not the message (RFC 9110 7.6.1), plus `expect`. */
const HOP_BY_HOP = [
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
]

/** Deletes hop-by-hop headers, including every header the `connection` header names. */
export function stripHopByHop(headers: Headers): Headers {
  const listed = headers.get('connection')
  if (listed) for (const name of listed.split(',')) headers.delete(name.trim())
  for (const name of HOP_BY_HOP) headers.delete(name)
  return headers
}

/** A mutable copy without hop-by-hop headers. */
export function copyEndToEnd(headers: Headers): Headers {
  return stripHopByHop(new Headers(headers))
}
