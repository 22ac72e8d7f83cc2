/** A header field as `Headers.forEach` yields it: lower-case name, value. */
export type HeaderEntry = readonly [name: string, value: string]

function isHttpWhitespace(c: number): boolean {
  return c === 9 || c === 10 || c === 13 || c === 32
}

/** HTTP whitespace around a value, which `Headers` strips. */
function trimHttpWhitespace(value: string): string {
  let start = 0
  let end = value.length
  while (start < end && isHttpWhitespace(value.charCodeAt(start))) start++
  while (end > start && isHttpWhitespace(value.charCodeAt(end - 1))) end--
  return start === 0 && end === value.length ? value : value.slice(start, end)
}

/**
 * The request's header fields exactly as Node's `Headers.forEach` yields them: names lower case
 * and sorted, a repeated field joined with "; " (Cookie) or ", ", each Set-Cookie apart, values
 * without surrounding whitespace. From the runtime's raw list when it gives one (`rawHeaders`,
 * Node): iterating the Request's Headers there makes @hono/node-server build a WHATWG Headers
 * object for this request alone. HTTP/2 pseudo-headers (`:path`) are not fields.
 */
export function headerEntries(req: Request, rawHeaders: readonly string[] | undefined): HeaderEntry[] {
  const entries: HeaderEntry[] = []
  if (rawHeaders === undefined) {
    req.headers.forEach((value, name) => void entries.push([name, value]))
    return entries
  }
  const byName = new Map<string, string[]>()
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i] as string
    if (raw.startsWith(':')) continue
    const name = raw.toLowerCase()
    const value = trimHttpWhitespace(rawHeaders[i + 1] as string)
    const list = byName.get(name)
    if (list === undefined) byName.set(name, [value])
    else list.push(value)
  }
  for (const name of [...byName.keys()].sort()) {
    const list = byName.get(name) as string[]
    if (name === 'set-cookie') for (const value of list) entries.push([name, value])
    else entries.push([name, list.length === 1 ? (list[0] as string) : list.join(name === 'cookie' ? '; ' : ', ')])
  }
  return entries
}
