import { anyKeywordFits, meetsRequirement, valueMask } from './char-mask.ts'
import type { CharMask } from './char-mask.ts'
import { headerEntries } from './header-entries.ts'
import type { HeaderEntry } from './header-entries.ts'
import type { InspectedValue } from './inspected-value.ts'
import { headerFacts, runCheck } from './protocol-checks.ts'
import type { HeaderFacts, ProtocolLimits } from './protocol-checks.ts'
import { escapeRegExp } from './rule-set.ts'
import type { CompiledRule } from './rule-set.ts'
import { COLLECTIONS } from './rule-spec.ts'
import type { TransformName } from './rule-spec.ts'
import type { RuleIndex } from './rule-index.ts'
import { collectionId, namedTargetId } from './target-ids.ts'
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
  return new RegExp(`^${glob.split('*').map(escapeRegExp).join('.*')}$`)
}

function excluded(exclusions: readonly Exclusion[], rule: number, name: string): boolean {
  for (const e of exclusions) {
    if ((e.rule === undefined || e.rule === rule) && (e.target === undefined || e.target.test(name))) return true
  }
  return false
}

/** Transformed values memoised per value by chain prefix, so rules sharing transforms share the work. */
function transformed(cache: (string | undefined)[][], index: number, value: string, rule: CompiledRule, plain: boolean): string {
  const transforms = plain ? rule.plainTransforms : rule.transforms
  const prefixIds = plain ? rule.plainPrefixIds : rule.prefixIds
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

/**
 * Runs the indexed rules over a request and its values; each rule matches at most once: its
 * first matching value in the order of its targets, then of the values (as in CRS anomaly
 * scoring, and as a rule-by-rule loop finds it). Values are visited once each: a value's
 * candidate rules are those that target it and, when it has a character mask, whose designated
 * characters it holds; a candidate then needs its full requirement and keywords (masked values),
 * then runs its transforms, keyword pattern and pattern. Header and cookie values are looked up
 * in the index's memo first (what a value matches does not depend on the request).
 */
export function inspect(
  index: RuleIndex,
  exclusions: readonly Exclusion[],
  limits: ProtocolLimits,
  req: Request,
  values: readonly InspectedValue[],
  /** The request's header fields (`headerEntries`), when the caller has them already. */
  headers?: readonly HeaderEntry[],
): Match[] {
  const { rules, words, byTarget, targetCount, namedFirst, namedLength, memo } = index
  const cache: (string | undefined)[][] = new Array(values.length)
  const { found, open, candidates } = index.scratch
  found.fill(-1)
  open.set(index.patterns)
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as InspectedValue
    const c = collectionId(v.collection)
    const name = v.name
    // Hashing a fresh name costs more than two table reads that rule out most names.
    const looked = namedFirst[name.charCodeAt(0) & 127] === 1 && namedLength[Math.min(name.length, 255)] === 1 ? namedTargetId(name) : undefined
    const n = looked !== undefined && looked < targetCount ? looked : undefined
    const targeted = c * words
    const named = n === undefined ? -1 : n * words
    if (memo !== undefined && MEMOISED[c] === true && v.value.length <= memo.maxValueLength) {
      const signature = (n === undefined ? 0 : n + 1) * COLLECTIONS.length + c
      let hits = memo.lookup(signature, v.value)
      if (hits === undefined) {
        hits = new Int32Array(words)
        for (let w = 0; w < words; w++) candidates[w] = (byTarget[targeted + w] as number) | (named < 0 ? 0 : (byTarget[named + w] as number))
        evaluate(index, candidates, cache, i, v.value, hits)
        memo.store(signature, v.value, hits)
      }
      for (let w = 0; w < words; w++) {
        let bits = (hits[w] as number) & (open[w] as number)
        while (bits !== 0) {
          const low = bits & -bits
          bits ^= low
          const r = (w << 5) | (31 - Math.clz32(low))
          const rank = targetRank((rules[r] as CompiledRule).targetIds, c, n)
          if (comesFirst(index, r, rank) && !(exclusions.length > 0 && excluded(exclusions, (rules[r] as CompiledRule).id, name))) keep(index, r, i, rank)
        }
      }
      continue
    }
    let count = 0
    for (let w = 0; w < words; w++) {
      const bits = ((byTarget[targeted + w] as number) | (named < 0 ? 0 : (byTarget[named + w] as number))) & (open[w] as number)
      candidates[w] = bits
      count += popcount(bits)
    }
    if (count === 0) continue
    const mask = valueMask(v.value)
    // Narrowing by character costs a pass over the mask: worth it for the many rules of args, paths and bodies.
    if (mask !== undefined && count > NARROW_FROM) narrowByChars(candidates, mask, index)
    for (let w = 0; w < words; w++) {
      let bits = candidates[w] as number
      while (bits !== 0) {
        const low = bits & -bits
        bits ^= low
        const r = (w << 5) | (31 - Math.clz32(low))
        const rule = rules[r] as CompiledRule
        if (mask !== undefined && !maskFits(rule, mask)) continue
        const rank = targetRank(rule.targetIds, c, n)
        if (!comesFirst(index, r, rank)) continue
        if (exclusions.length > 0 && excluded(exclusions, rule.id, name)) continue
        if (matches(rule, cache, i, v.value, mask)) keep(index, r, i, rank)
      }
    }
  }
  const out: Match[] = []
  let facts: HeaderFacts | undefined
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r] as CompiledRule
    if (rule.check !== undefined) {
      const target = runCheck(rule.check, req, limits, (facts ??= headerFacts(headers ?? headerEntries(req, undefined), limits)))
      if (target !== undefined && !excluded(exclusions, rule.id, target)) out.push({ rule, target })
    } else if ((found[r] as number) >= 0) out.push({ rule, target: (values[found[r] as number] as InspectedValue).name })
  }
  return out
}

/** Candidate count from which narrowing by character pays (measured: header values have ~6, arguments ~50). */
const NARROW_FROM = 12

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number
}

/** Collections whose values repeat across requests (a client sends the same headers and cookies each time): memoised. */
const MEMOISED: readonly boolean[] = COLLECTIONS.map((c) => c === 'headers' || c === 'cookies')

/** Whether a match of rule `r` through its target of rank `rank` (at a later value) would come before the one it has. */
function comesFirst(index: RuleIndex, r: number, rank: number): boolean {
  const { found, rank: foundRank } = index.scratch
  return (found[r] as number) < 0 || rank < (foundRank[r] as number)
}

/** Rule `r` matched value `i` through its target of rank `rank`. */
function keep(index: RuleIndex, r: number, i: number, rank: number): void {
  const { found, rank: foundRank, open } = index.scratch
  found[r] = i
  foundRank[r] = rank
  // Nothing can come before a match through the rule's first target: the rule is done.
  if (rank === 0) open[r >>> 5] = (open[r >>> 5] as number) & ~(1 << (r & 31))
}

/** Sets in `hits` every rule of `candidates` that matches the value (exclusions aside). */
function evaluate(index: RuleIndex, candidates: Int32Array, cache: (string | undefined)[][], i: number, value: string, hits: Int32Array): void {
  const mask = valueMask(value)
  if (mask !== undefined) narrowByChars(candidates, mask, index)
  for (let w = 0; w < index.words; w++) {
    let bits = candidates[w] as number
    while (bits !== 0) {
      const low = bits & -bits
      bits ^= low
      const rule = index.rules[(w << 5) | (31 - Math.clz32(low))] as CompiledRule
      if ((mask === undefined || maskFits(rule, mask)) && matches(rule, cache, i, value, mask)) hits[w] = (hits[w] as number) | low
    }
  }
}

/** Keeps the candidates whose designated characters `mask` holds (or that designate none). */
function narrowByChars(candidates: Int32Array, mask: CharMask, index: RuleIndex): void {
  const { byChar, words } = index
  const allowed = index.scratch.allowed
  allowed.set(index.always)
  for (let m = 0; m < 4; m++) {
    let bits = mask[m] as number
    while (bits !== 0) {
      const low = bits & -bits
      bits ^= low
      const row = ((m << 5) | (31 - Math.clz32(low))) * words
      for (let w = 0; w < words; w++) allowed[w] = (allowed[w] as number) | (byChar[row + w] as number)
    }
  }
  for (let w = 0; w < words; w++) candidates[w] = (candidates[w] as number) & (allowed[w] as number)
}

/** The position of the first of `targetIds` that reaches a value of collection id `c` (and name id `n`). */
function targetRank(targetIds: readonly number[], c: number, n: number | undefined): number {
  for (let t = 0; t < targetIds.length; t++) if (targetIds[t] === c || targetIds[t] === n) return t
  return targetIds.length
}

/** Whether a masked value holds what the rule's pattern and keywords need. */
function maskFits(rule: CompiledRule, mask: CharMask): boolean {
  return meetsRequirement(mask, rule.requirement.all, rule.requirement.any) && (rule.keywordMasks === undefined || anyKeywordFits(mask, rule.keywordMasks))
}

/** The rule's transforms, keywords and pattern on one value (its mask, if any, already fits). */
function matches(rule: CompiledRule, cache: (string | undefined)[][], i: number, value: string, mask: CharMask | undefined): boolean {
  const text = transformed(cache, i, value, rule, mask !== undefined)
  if (rule.keywordPattern !== undefined && !rule.keywordPattern.test(text)) return false
  return (rule.pattern as RegExp).test(text)
}
