/** Cheap views of a request URL, without `new URL()` per request. */

/** The path and query as received (percent-encoding kept), e.g. `/v1/items/a%20b?x=1`. */
export function rawPathAndQuery(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  return start < 0 ? '/' : url.slice(start)
}

/** The path as received, without the query. */
export function rawPath(url: string): string {
  const pathAndQuery = rawPathAndQuery(url)
  const query = pathAndQuery.indexOf('?')
  return query < 0 ? pathAndQuery : pathAndQuery.slice(0, query)
}

/** The lower-case host of a Host header, without its port (`[::1]:8080` -> `[::1]`). */
export function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined
  const host = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0]
  return host?.toLowerCase()
}
