import type { RouteSpec } from '../bundle/types.ts'
import { parsePathTemplate } from './path-template.ts'
import type { PathTemplate } from './path-template.ts'

export interface RequestFacts {
  readonly method: string
  /** Lower-case host without port, or undefined when the request had none. */
  readonly host: string | undefined
  /** The raw (percent-encoded, dot-segment-normalised) path, without the query. */
  readonly path: string
  readonly headers: Headers
}

export type MatchResult<T> =
  | { readonly kind: 'match'; readonly route: RouteSpec; readonly value: T; readonly params: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'none' }

export interface RouteTable<T> {
  readonly size: number
  /** First route in bundle order whose method, host, path and headers all match. Throws URIError on bad escapes. */
  match(request: RequestFacts): MatchResult<T>
}

/**
 * One entry of the table: a route and what runs for it. `binding` gives the path and methods
 * when they do not come from the route's match (an rpc route has one entry per google.api.http rule).
 */
export interface TableRoute<T> {
  readonly route: RouteSpec
  readonly value: T
  readonly binding?: { readonly path: string; readonly methods: readonly string[] } | undefined
}

interface Entry<T> {
  readonly route: RouteSpec
  readonly value: T
  readonly template: PathTemplate
  readonly methods: ReadonlySet<string> | undefined
  readonly headers: readonly (readonly [string, string])[]
}

/**
 * An immutable table; built once per bundle. Routes are tried in bundle order (first match wins);
 * a route listing GET also matches HEAD. Only the routes that can match the request's first path
 * segment are tried: those whose template starts with that literal segment, and those starting
 * with a variable, so the cost of a lookup does not grow with the number of routes elsewhere.
 */
export function createRouteTable<T>(routes: readonly TableRoute<T>[]): RouteTable<T> {
  const entries: Entry<T>[] = routes.map(({ route, value, binding }) => {
    const path = binding?.path ?? route.match.path
    if (path === undefined) throw new Error(`route "${route.id}" has no path`)
    const methods = binding?.methods ?? route.match.methods
    return {
      route,
      value,
      template: parsePathTemplate(path),
      methods: methods ? withHead(methods) : undefined,
      headers: Object.entries(route.match.headers),
    }
  })
  // Per literal first segment: its routes and every route starting with a variable, in bundle order.
  const variableFirst: Entry<T>[] = []
  const bySegment = new Map<string, Entry<T>[]>()
  for (const entry of entries) {
    const segment = firstLiteral(entry.template.source)
    if (segment === undefined) {
      variableFirst.push(entry)
      for (const list of bySegment.values()) list.push(entry)
    } else {
      let list = bySegment.get(segment)
      if (list === undefined) bySegment.set(segment, (list = [...variableFirst]))
      list.push(entry)
    }
  }
  return {
    size: entries.length,
    match(request) {
      let allow: Set<string> | undefined
      for (const entry of bySegment.get(firstSegment(request.path)) ?? variableFirst) {
        if (!hostMatches(entry.route.match.host, request.host)) continue
        if (!headersMatch(entry.headers, request.headers)) continue
        const params = entry.template.match(request.path)
        if (!params) continue
        if (entry.methods && !entry.methods.has(request.method)) {
          allow ??= new Set()
          for (const m of entry.methods) allow.add(m)
          continue
        }
        return { kind: 'match', route: entry.route, value: entry.value, params }
      }
      return allow ? { kind: 'method-not-allowed', allow: [...allow].sort() } : { kind: 'none' }
    },
  }
}

/** The first segment of a template when it is a literal (`/v1/items/{id}` -> `v1`), else undefined. */
function firstLiteral(template: string): string | undefined {
  const end = template.indexOf('/', 1)
  const segment = end < 0 ? template.slice(1) : template.slice(1, end)
  return /[{*]/.test(segment) ? undefined : segment // a variable, a wildcard, or one with a custom verb
}

/** The first segment of a raw request path (`/v1/items/7` -> `v1`, `/` -> ``). */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1)
  return end < 0 ? path.slice(1) : path.slice(1, end)
}

/** A route that serves GET also serves HEAD (RFC 9110 9.3.2: same headers, no body). */
function withHead(methods: readonly string[]): ReadonlySet<string> {
  const set = new Set(methods)
  if (set.has('GET')) set.add('HEAD')
  return set
}

function hostMatches(pattern: string | undefined, host: string | undefined): boolean {
  if (pattern === undefined) return true
  if (host === undefined) return false
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1
  return pattern === host
}

function headersMatch(required: readonly (readonly [string, string])[], headers: Headers): boolean {
  for (const [name, value] of required) {
    const actual = headers.get(name)
    if (actual === null || (value !== '*' && actual !== value)) return false
  }
  return true
}
