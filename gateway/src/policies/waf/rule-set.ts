import { parse } from 'yaml'
import { z } from 'zod'
import { RuleSpec, SEVERITY_SCORE } from './rule-spec.ts'
import type { CheckName, Collection, Severity, TransformName } from './rule-spec.ts'

/** A rule ready to run: its pattern compiled, its targets as a set, its transform chain keyed for caching. */
export interface CompiledRule {
  readonly id: number
  readonly family: string
  readonly severity: Severity
  readonly score: number
  readonly paranoia: number
  readonly message: string
  readonly targets: readonly string[]
  readonly transforms: readonly TransformName[]
  /** Interned ids of the chain's prefixes (`[urlDecode]`, `[urlDecode, lowercase]`, ...), to memoise transformed values. */
  readonly prefixIds: readonly number[]
  readonly pattern: RegExp | undefined
  readonly keywords: readonly string[] | undefined
  readonly check: CheckName | undefined
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

export function compileRule(r: RuleSpec): CompiledRule {
  return {
    id: r.id,
    family: r.family,
    severity: r.severity,
    score: SEVERITY_SCORE[r.severity],
    paranoia: r.paranoia,
    message: r.message,
    targets: [...new Set<Collection | string>(r.targets)],
    transforms: r.transforms,
    prefixIds: prefixIds(r.transforms),
    pattern: r.pattern !== undefined ? new RegExp(r.pattern, 'i') : undefined,
    keywords: r.keywords,
    check: r.check,
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
