import type { HttpBinding } from './http-rules.ts'
import { httpBindings } from './http-rules.ts'
import { resolveRpcTarget } from './registry.ts'

/**
 * A route's `rpc` target (`pkg.Service` or `pkg.Service/Method`) as its HTTP bindings, or the
 * reason it cannot be served (unknown name with a suggestion, no rule, an invalid rule).
 * Bindings with a custom verb come first (see `withVerbsFirst`), the rest in declaration order.
 */
export function bindingsOf(target: string): BindingsOf {
  const cached = known.get(target)
  if (cached !== undefined) return cached
  const found = resolve(target)
  if ('bindings' in found) known.set(target, found) // only real targets: typos in bundles never fill the map
  return found
}

type BindingsOf = { readonly bindings: readonly HttpBinding[] } | { readonly error: string }

/** The registry is compiled in, so a target's bindings never change: the bundle check, the compile and `gatehouse routes` share them. */
const known = new Map<string, BindingsOf>()

function resolve(target: string): BindingsOf {
  const resolved = resolveRpcTarget(target)
  if ('error' in resolved) return resolved
  try {
    return { bindings: withVerbsFirst(httpBindings(resolved.methods)) }
  } catch (err) {
    return { error: (err as Error).message }
  }
}

const CUSTOM_VERB = /:[^/{}]+$/

/**
 * Custom-verb templates (`/v1/tasks/{id}:watch`) before the others: in a first-match route
 * table, `/v1/tasks/{id}` would otherwise take `/v1/tasks/7:watch` with `id` = "7:watch".
 */
export function withVerbsFirst<T extends { readonly path: string }>(bindings: readonly T[]): T[] {
  return [...bindings.filter((b) => CUSTOM_VERB.test(b.path)), ...bindings.filter((b) => !CUSTOM_VERB.test(b.path))]
}
