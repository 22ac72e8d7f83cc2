import { parse } from 'yaml'
import { z } from 'zod'
import { keywordMask } from './char-mask.ts'
import type { CharMask } from './char-mask.ts'
import { NO_REQUIREMENT, requiredChars, withKeywords } from './required-chars.ts'
import type { Requirement } from './required-chars.ts'
import { RuleSpec, SEVERITY_SCORE } from './rule-spec.ts'
import { targetId } from './target-ids.ts'
import type { CheckName, Collection, Severity, TransformName } from './rule-spec.ts'

/** A rule ready to run: its pattern compiled, its targets deduplicated and numbered, its transform chain keyed for caching, its pre-filters derived. */
export interface CompiledRule {
  readonly id: number
  readonly family: string
  readonly severity: Severity
  readonly score: number
  readonly paranoia: number
  readonly message: string
  readonly targets: readonly string[]
  /** The targets as ids (target-ids.ts), in the same order. */
  readonly targetIds: readonly number[]
  readonly transforms: readonly TransformName[]
  /** Interned ids of the chain's prefixes (`[urlDecode]`, `[urlDecode, lowercase]`, ...), to memoise transformed values. */
  readonly prefixIds: readonly number[]
  /**
   * The chain without the decoding transforms, and its prefix ids: what the chain amounts to on a
   * value with a character mask (see char-mask.ts), where decoding is the identity.
   */
  readonly plainTransforms: readonly TransformName[]
  readonly plainPrefixIds: readonly number[]
  readonly pattern: RegExp | undefined
  readonly keywords: readonly string[] | undefined
  /** The keywords as one alternation (case-sensitive, like `includes`): one scan of the text instead of one per keyword. */
  readonly keywordPattern: RegExp | undefined
  /** The keywords' character sets, in order (a keyword outside ASCII has none: it cannot occur in a masked value). */
  readonly keywordMasks: readonly (CharMask | undefined)[] | undefined
  readonly check: CheckName | undefined
  /** Characters the pattern and the keywords need (required-chars.ts): a masked value that lacks them is skipped. */
  readonly requirement: Requirement
}

const prefixes = new Map<string, number>()

/** One id per distinct transform-chain prefix across all compiled rules (the ids are small and dense). */
function prefixIds(transforms: readonly TransformName[]): number[] {
  const ids: number[] = []
  let key = ''
  for (const t of transforms) {
    key += `${t},`
    let id = prefixes.get(key)
    if (id === undefined) prefixes.set(key, (id = prefixes.size))
    ids.push(id)
  }
  return ids
}

/** Transforms that are the identity on a value without '%', '&', '\\' and non-ASCII characters. */
const DECODERS: ReadonlySet<TransformName> = new Set(['urlDecode', 'htmlEntityDecode', 'jsDecode', 'unicodeNormalize'])

/** `text` as a regex source that matches it literally. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export function compileRule(r: RuleSpec): CompiledRule {
  const plainTransforms = r.transforms.filter((t) => !DECODERS.has(t))
  const targets = [...new Set<Collection | string>(r.targets)]
  const keywordMasks = r.keywords?.map(keywordMask)
  const required = r.pattern !== undefined ? requiredChars(r.pattern) : NO_REQUIREMENT
  return {
    id: r.id,
    family: r.family,
    severity: r.severity,
    score: SEVERITY_SCORE[r.severity],
    paranoia: r.paranoia,
    message: r.message,
    targets,
    targetIds: targets.map(targetId),
    transforms: r.transforms,
    prefixIds: prefixIds(r.transforms),
    plainTransforms,
    plainPrefixIds: prefixIds(plainTransforms),
    pattern: r.pattern !== undefined ? new RegExp(r.pattern, 'i') : undefined,
    keywords: r.keywords,
    keywordPattern: r.keywords === undefined ? undefined : new RegExp(r.keywords.map(escapeRegExp).join('|')),
    keywordMasks,
    check: r.check,
    requirement: keywordMasks !== undefined ? withKeywords(required, keywordMasks.filter((m): m is CharMask => m !== undefined)) : required,
  }
}

const RuleFile = z.object({ rules: z.array(RuleSpec).min(1) }).strict()

/**
 * Parses and validates rule files (YAML text by file name). Throws an Error naming the file, the
 * rule index and the problem; ids must be unique across all files.
 */
export function loadRuleFiles(files: Readonly<Record<string, string>>): readonly RuleSpec[] {
  const rules: RuleSpec[] = []
  const seen = new Map<number, string>()
  for (const [file, text] of Object.entries(files)) {
    const result = RuleFile.safeParse(parse(text))
    if (!result.success) {
      const issue = result.error.issues[0]
      throw new Error(`waf rules ${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`)
    }
    for (const rule of result.data.rules) {
      const other = seen.get(rule.id)
      if (other !== undefined) throw new Error(`waf rules ${file}: rule ${rule.id} is also defined in ${other}`)
      seen.set(rule.id, file)
      rules.push(rule)
    }
  }
  return rules
}
