/**
 * Merges parsed files one by one (in file-name order) into a `Collection`: every entry is
 * validated on its own, names are checked for duplicates across files, and every problem is kept
 * with its file:line:column. Entries that fail validation stay known by name, so a route that
 * refers to a broken policy is not also told that the policy does not exist.
 */
import type { z } from 'zod'
import { formatPath } from './format.ts'
import { check } from './issues.ts'
import type { Checked, Finding } from './issues.ts'
import { checkPolicyEntry } from './policy-entry.ts'
import type { CheckedPolicy } from './policy-entry.ts'
import { FileShape, RouteEntry, ServiceEntry } from './schema.ts'
import type { BundleProblem, SourceLocation } from './types.ts'
import type { ParsedFile, PathSegment } from './yaml-source.ts'

export interface Entry<T> {
  readonly location: SourceLocation
  /** Undefined when the entry is invalid (its problems are in `Collection.problems`). */
  readonly value: T | undefined
}

export interface CollectedRoute extends Entry<z.output<typeof RouteEntry>> {
  readonly file: ParsedFile
  /** Index inside its file, and inside the merged `routes` list. */
  readonly local: number
  readonly index: number
  readonly raw: unknown
}

export interface Collection {
  readonly problems: BundleProblem[]
  readonly services: Map<string, Entry<z.output<typeof ServiceEntry>>>
  readonly policies: Map<string, Entry<CheckedPolicy>>
  readonly routes: CollectedRoute[]
  /** Where each route id was first defined. */
  readonly routeIds: Map<string, SourceLocation>
}

export function emptyCollection(): Collection {
  return { problems: [], services: new Map(), policies: new Map(), routes: [], routeIds: new Map() }
}

/** A problem located at `finding.path` in the file, shown as `shown` (its path in the merged document). */
export function report(c: Collection, file: ParsedFile, finding: Finding, shown: readonly PathSegment[] = finding.path): void {
  c.problems.push({ location: file.locate(finding.path, finding.target), path: formatPath(shown), message: finding.message })
}

export function collectFile(c: Collection, file: ParsedFile): void {
  c.problems.push(...file.problems)
  if (file.problems.length > 0) return
  const data = file.data ?? {}
  const shape = check(FileShape, data)
  if (!shape.ok) shape.findings.forEach((f) => report(c, file, f))
  if (!isMap(data)) return
  collectNamed(c, file, 'services', data.services, c.services, (raw) => check(ServiceEntry, raw))
  collectNamed(c, file, 'policies', data.policies, c.policies, checkPolicyEntry)
  if (Array.isArray(data.routes)) data.routes.forEach((raw, local) => collectRoute(c, file, raw, local))
}

function collectNamed<T>(
  c: Collection,
  file: ParsedFile,
  section: 'services' | 'policies',
  entries: unknown,
  into: Map<string, Entry<T>>,
  validate: (raw: unknown) => Checked<T>,
): void {
  if (!isMap(entries)) return
  const what = section === 'services' ? 'service' : 'policy'
  for (const [name, raw] of Object.entries(entries)) {
    const location = file.locate([section, name], 'key')
    const first = into.get(name)
    if (first) {
      const message = `duplicate ${what} "${name}" (first defined at ${where(first.location)})`
      report(c, file, { path: [section, name], target: 'key', message })
    }
    const result = validate(raw)
    if (!result.ok) result.findings.forEach((f) => report(c, file, { ...f, path: [section, name, ...f.path] }))
    if (!first) into.set(name, { location, value: result.ok ? result.value : undefined })
  }
}

function collectRoute(c: Collection, file: ParsedFile, raw: unknown, local: number): void {
  const index = c.routes.length
  const result = check(RouteEntry, raw)
  if (!result.ok) {
    for (const f of result.findings) {
      report(c, file, { ...f, path: ['routes', local, ...f.path] }, ['routes', index, ...f.path])
    }
  }
  const location = file.locate(['routes', local])
  const id = isMap(raw) ? raw.id : undefined
  if (typeof id === 'string') {
    const first = c.routeIds.get(id)
    if (first) {
      const message = `duplicate route id "${id}" (first defined at ${where(first)})`
      report(c, file, { path: ['routes', local, 'id'], target: 'value', message }, ['routes', index, 'id'])
    } else {
      c.routeIds.set(id, location)
    }
  }
  c.routes.push({ file, local, index, raw, location, value: result.ok ? result.value : undefined })
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function where(location: SourceLocation): string {
  return `${location.file}:${location.line}`
}
