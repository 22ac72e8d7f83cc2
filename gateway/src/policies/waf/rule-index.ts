import { designatedClause } from './required-chars.ts'
import type { CompiledRule } from './rule-set.ts'
import { targetIdCount } from './target-ids.ts'
import { ValueMemo } from './value-memo.ts'

/** Memo bounds: at most this many values (of at most this many characters) are remembered per policy instance. */
const MEMO_DEFAULTS = { entries: 4096, maxValueLength: 1024 }

/**
 * Rules indexed for a request's values, built once per policy instance: bitsets over the pattern
 * rules (`words` 32-bit words each, bit r for rule r) by target id and by character, so that a
 * value's candidate rules are a few ORs and ANDs instead of a visit per rule.
 */
export interface RuleIndex {
  readonly rules: readonly CompiledRule[]
  /** 32-bit words per bitset. */
  readonly words: number
  /** Pattern rules (check rules are computed apart). */
  readonly patterns: Int32Array
  /** Row t (at t * words): the pattern rules that target id t (target-ids.ts). */
  readonly byTarget: Int32Array
  readonly targetCount: number
  /**
   * Row p (at p * words), p a bit position of a character mask (char-mask.ts): the pattern rules
   * that a masked value holding that character may match. A rule sits in the rows of one set its
   * matches always intersect (`designatedClause`), or in `always` when it requires nothing.
   */
  readonly byChar: Int32Array
  readonly always: Int32Array
  /**
   * First characters and lengths (capped at 255) of the value names the pattern rules target by
   * name: a value name whose first character or length is not among them is not looked up.
   */
  readonly namedFirst: Uint8Array
  readonly namedLength: Uint8Array
  /** Rules matched by repeated values (see value-memo.ts); undefined: off. */
  readonly memo: ValueMemo | undefined
  /** Per-request working memory, reused: `inspect` runs to completion without yielding. */
  readonly scratch: { readonly found: Int32Array; readonly rank: Int32Array; readonly open: Int32Array; readonly candidates: Int32Array; readonly allowed: Int32Array }
}

function setBit(bits: Int32Array, row: number, words: number, r: number): void {
  const at = row * words + (r >>> 5)
  bits[at] = (bits[at] as number) | (1 << (r & 31))
}

/** `memo: false` evaluates every value every time (tests, benchmarks of a first request). */
export function indexRules(rules: readonly CompiledRule[], memo: { entries: number; maxValueLength: number } | false = MEMO_DEFAULTS): RuleIndex {
  const words = Math.max(1, Math.ceil(rules.length / 32))
  const targetCount = targetIdCount()
  const patterns = new Int32Array(words)
  const byTarget = new Int32Array(targetCount * words)
  const byChar = new Int32Array(128 * words)
  const always = new Int32Array(words)
  const namedFirst = new Uint8Array(128)
  const namedLength = new Uint8Array(256)
  rules.forEach((rule, r) => {
    if (rule.pattern === undefined) return
    setBit(patterns, 0, words, r)
    for (const t of rule.targets) {
      if (!t.includes('.')) continue // a collection
      namedFirst[t.charCodeAt(0) & 127] = 1
      namedLength[Math.min(t.length, 255)] = 1
    }
    for (const t of rule.targetIds) setBit(byTarget, t, words, r)
    const clause = designatedClause(rule.requirement)
    if (clause === undefined) return setBit(always, 0, words, r)
    for (let p = 0; p < 128; p++) if (((clause[p >>> 5] as number) & (1 << (p & 31))) !== 0) setBit(byChar, p, words, r)
  })
  const scratch = { found: new Int32Array(rules.length), rank: new Int32Array(rules.length), open: new Int32Array(words), candidates: new Int32Array(words), allowed: new Int32Array(words) }
  return { rules, words, patterns, byTarget, targetCount, byChar, always, namedFirst, namedLength, memo: memo === false ? undefined : new ValueMemo(memo.entries, memo.maxValueLength), scratch }
}
