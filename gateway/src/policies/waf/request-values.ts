import { rawPath } from '../../routing/request-url.ts'
import { headerEntries } from './header-entries.ts'
import type { HeaderEntry } from './header-entries.ts'
import type { InspectedValue } from './inspected-value.ts'
import { percentDecodeOnce } from './url-decode.ts'

/**
 * Query arguments (values and names) from a raw query string, decoded once as a server would,
 * but leniently: URLSearchParams would turn overlong UTF-8 (`%c0%af`) into U+FFFD and hide it.
 */
export function queryValues(query: string, into: InspectedValue[], prefix: 'args' | 'body'): void {
  if (query === '') return
  const names = prefix === 'args' ? 'args_names' : 'body_names'
  for (const pair of query.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = percentDecodeOnce(eq < 0 ? pair : pair.slice(0, eq))
    const value = eq < 0 ? '' : percentDecodeOnce(pair.slice(eq + 1))
    const name = `${prefix}.${key}`
    into.push({ collection: names, name, value: key })
    if (value !== '') into.push({ collection: prefix, name, value })
  }
}

function cookieValues(header: string, into: InspectedValue[]): void {
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=')
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim()
    const value = eq < 0 ? '' : pair.slice(eq + 1).trim()
    if (key === '' && value === '') continue
    const name = `cookies.${key}`
    into.push({ collection: 'cookie_names', name, value: key })
    if (value !== '') into.push({ collection: 'cookies', name, value })
  }
}

/** Everything but the body: method, raw path, query arguments, headers (cookies split out). */
export function requestValues(req: Request, headers: readonly HeaderEntry[] = headerEntries(req, undefined)): InspectedValue[] {
  const url = req.url // a getter that serialises the URL on each call (undici)
  const values: InspectedValue[] = [
    { collection: 'method', name: 'method', value: req.method },
    { collection: 'path', name: 'path', value: rawPath(url) },
  ]
  const q = url.indexOf('?')
  if (q >= 0) {
    const hash = url.indexOf('#', q)
    queryValues(url.slice(q + 1, hash < 0 ? undefined : hash), values, 'args')
  }
  for (const [key, value] of headers) {
    if (key === 'cookie') cookieValues(value, values)
    const name = `headers.${key}`
    values.push({ collection: 'header_names', name, value: key })
    values.push({ collection: 'headers', name, value })
  }
  return values
}
