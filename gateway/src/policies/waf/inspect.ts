import type { InspectedValue } from './inspected-value.ts'
import { runCheck } from './protocol-checks.ts'
import type { ProtocolLimits } from './protocol-checks.ts'
import type { CompiledRule } from './rule-set.ts'
import type { TransformName } from './rule-spec.ts'
import { applyTransform } from './transforms.ts'

export interface Match {
  readonly rule: CompiledRule
  /** The name of the first value the rule matched. */
  readonly target: string
}

/** A false-positive exclusion: `rule` skips values whose name matches `target` (either may be absent). */
export interface Exclusion {
  readonly rule: number | undefined
  readonly target: RegExp | undefined
}

/** `body.items[*].text` -> an anchored RegExp where `*` matches any characters. */
export function targetGlob(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
}

function excluded(exclusions: readonly Exclusion[], rule: number, name: string): boolean {
  for (const e of exclusions) {
    if ((e.rule === undefined || e.rule === rule) && (e.target === undefined || e.target.test(name))) return true
  }
  return false
}

/** Transformed values memoised per value by chain prefix, so rules sharing transforms share the work. */
function transformed(cache: (string | undefined)[][], index: number, value: string, rule: CompiledRule): string {
  const { transforms, prefixIds } = rule
  if (transforms.length === 0) return value
  let memo = cache[index]
  if (memo === undefined) cache[index] = memo = []
  const last = memo[prefixIds[transforms.length - 1] as number]
  if (last !== undefined) return last
  let current = value
  for (let i = 0; i < transforms.length; i++) {
    const id = prefixIds[i] as number
    const hit = memo[id]
    if (hit !== undefined) current = hit
    else memo[id] = current = applyTransform(transforms[i] as TransformName, current)
  }
  return current
}

/** Value indices by collection and by name, so each rule visits only the values it targets. */
function indexValues(values: readonly InspectedValue[]): Map<string, number[]> {
  const index = new Map<string, number[]>()
  const add = (key: string, i: number) => {
    const list = index.get(key)
    if (list === undefined) index.set(key, [i])
    else list.push(i)
  }
  values.forEach((v, i) => {
    add(v.collection, i)
    if (v.name !== v.collection) add(v.name, i)
  })
  return index
}

/**
 * Runs `rules` over a request and its values; each rule matches at most once (its first
 * matching value), as in CRS anomaly scoring. Pattern rules run only on values whose collection
 * or name they target, after their transforms, when one of their keywords (if any) is present.
 */
export function inspect(
  rules: readonly CompiledRule[],
  exclusions: readonly Exclusion[],
  limits: ProtocolLimits,
  req: Request,
  values: readonly InspectedValue[],
): Match[] {
  const matches: Match[] = []
  const cache: (string | undefined)[][] = new Array(values.length)
  const index = indexValues(values)
  for (const rule of rules) {
    if (rule.check !== undefined) {
      const target = runCheck(rule.check, req, limits)
      if (target !== undefined && !excluded(exclusions, rule.id, target)) matches.push({ rule, target })
      continue
    }
    const match = firstMatch(rule, exclusions, values, index, cache)
    if (match !== undefined) matches.push({ rule, target: match })
  }
  return matches
}

function firstMatch(
  rule: CompiledRule,
  exclusions: readonly Exclusion[],
  values: readonly InspectedValue[],
  index: Map<string, number[]>,
  cache: (string | undefined)[][],
): string | undefined {
  const { pattern, keywords, targets } = rule
  for (let t = 0; t < targets.length; t++) {
    const indices = index.get(targets[t] as string)
    if (indices === undefined) continue
    for (let n = 0; n < indices.length; n++) {
      const i = indices[n] as number
      const v = values[i] as InspectedValue
      if (exclusions.length > 0 && excluded(exclusions, rule.id, v.name)) continue
      const text = transformed(cache, i, v.value, rule)
      if (keywords !== undefined && !containsAny(text, keywords)) continue
      if ((pattern as RegExp).test(text)) return v.name
    }
  }
  return undefined
}

function containsAny(text: string, keywords: readonly string[]): boolean {
  for (let k = 0; k < keywords.length; k++) if (text.includes(keywords[k] as string)) return true
  return false
}
