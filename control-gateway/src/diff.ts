/**
 * The semantic diff of two bundles: what a gateway would do differently, not how the files
 * differ. Both sides come out of loadBundle (defaults filled, durations in ms, URLs normalised),
 * so reformatting, comments, moving an item between files or spelling out a default is no change.
 */
import { canonicalJson } from '../../gateway/src/bundle/hash.ts'
import type { Bundle } from '../../gateway/src/bundle/types.ts'

export type Section = 'service' | 'policy' | 'route'

export interface Change {
  readonly section: Section
  readonly name: string
  readonly kind: 'added' | 'removed' | 'changed'
  /** For `changed`: dotted paths of what differs, e.g. `match.path`, `options.response.set`. */
  readonly fields: readonly string[]
}

/** Each item of a bundle as plain JSON-able values, by section and name (no source locations). */
export function normalise(bundle: Bundle): Record<Section, Map<string, unknown>> {
  const plain = (value: unknown): unknown => JSON.parse(canonicalJson(value))
  return {
    service: new Map([...bundle.services].map(([name, service]) => [name, plain(service)])),
    policy: new Map([...bundle.policies].map(([name, { location: _, ...policy }]) => [name, plain(policy)])),
    route: new Map(bundle.routes.map(({ location: _, ...route }) => [route.id, plain(route)])),
  }
}

/** Changes from `before` (undefined = nothing applied yet) to `after`, by section then name. */
export function diffBundles(before: Bundle | undefined, after: Bundle): Change[] {
  const b = before ? normalise(before) : undefined
  const a = normalise(after)
  const changes: Change[] = []
  for (const section of ['service', 'policy', 'route'] as const) {
    const old = b?.[section] ?? new Map<string, unknown>()
    const now = a[section]
    const names = [...new Set([...old.keys(), ...now.keys()])].sort()
    for (const name of names) {
      if (!now.has(name)) changes.push({ section, name, kind: 'removed', fields: [] })
      else if (!old.has(name)) changes.push({ section, name, kind: 'added', fields: [] })
      else {
        const fields = changedFields(old.get(name), now.get(name), '')
        if (fields.length > 0) changes.push({ section, name, kind: 'changed', fields })
      }
    }
  }
  return changes
}

/** Dotted paths where two JSON values differ, down to 3 levels (deeper differences name their ancestor). */
function changedFields(x: unknown, y: unknown, at: string, depth = 0): string[] {
  if (canonicalJson(x) === canonicalJson(y)) return []
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
  if (depth >= 3 || !isObject(x) || !isObject(y)) return [at === '' ? '(all)' : at]
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()
  return keys.flatMap((key) => changedFields(x[key], y[key], at === '' ? key : `${at}.${key}`, depth + 1))
}
