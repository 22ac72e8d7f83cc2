/** How bundles and their problems read on a terminal: `gatehouse check` and `gatehouse routes`. */
import { bindingsOf } from '../transcode/index.ts'
import { formatDuration } from './duration.ts'
import type { Bundle, BundleProblem, RouteSpec } from './types.ts'

/** `policies/a.yaml:12:7: unknown key "timout" (did you mean "timeout"?) (at routes[0].timout)` */
export function formatProblem(problem: BundleProblem): string {
  const { file, line, column } = problem.location
  const at = problem.path === '' ? '' : ` (at ${problem.path})`
  return `${file}:${line}:${column}: ${problem.message}${at}`
}

/** `routes[2].match.path`, `policies.add-tag.response`, `services["odd.name"]` */
export function formatPath(path: readonly (string | number)[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

const COLUMNS = ['ID', 'METHODS', 'HOST', 'PATH', 'HEADERS', 'POLICIES', 'UPSTREAM', 'TIMEOUT'] as const

/** One row per route; an rpc route gets one per google.api.http binding of its proto target. */
function routeRows(route: RouteSpec): string[][] {
  const { match } = route
  const headers = Object.entries(match.headers).map(([name, value]) => `${name}=${value}`)
  const row = (methods: string, path: string, upstream: string) => [
    route.id,
    methods,
    match.host ?? '*',
    path,
    headers.length > 0 ? headers.join(',') : '-',
    route.policies.length > 0 ? route.policies.join(',') : '-',
    upstream,
    formatDuration(route.timeoutMs),
  ]
  const { upstream } = route
  if (upstream.kind !== 'rpc') return [row(match.methods?.join(',') ?? '*', match.path ?? '-', `${upstream.kind}:${upstream.service}`)]
  const resolved = bindingsOf(upstream.proto)
  if ('error' in resolved) return [row('-', '-', `rpc:${upstream.service} (${resolved.error})`)]
  return resolved.bindings.map((b) => row(b.verb, b.path, `rpc:${upstream.service} ${b.method.parent.name}/${b.method.name}`))
}

/** A fixed-width table of the routes, in bundle order, then the bundle's hash and size. */
export function formatRouteTable(bundle: Bundle): string {
  const rows = [[...COLUMNS], ...bundle.routes.flatMap(routeRows)]
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)))
  const lines = rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd())
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`
  const summary = [
    count(bundle.routes.length, 'route'),
    count(bundle.services.size, 'service'),
    count(bundle.policies.size, 'policy instance'),
    count(bundle.files.length, 'file'),
  ].join(', ')
  lines.push('', `bundle ${bundle.hash} (${summary})`)
  return lines.join('\n')
}
