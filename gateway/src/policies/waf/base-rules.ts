import { RULE_FILES } from './rules/embedded.gen.ts'
import { loadRuleFiles } from './rule-set.ts'
import type { RuleSpec } from './rule-spec.ts'

/**
 * The base rule set, from rules/*.yaml (embedded as text by rules/embedded.gen.ts, so that no
 * runtime needs file access), parsed and validated once when this module loads: a bad rule
 * file fails every import, and with it the test suite, never a request.
 */
export const BASE_RULES: readonly RuleSpec[] = loadRuleFiles(RULE_FILES)
export const BASE_RULE_IDS: ReadonlySet<number> = new Set(BASE_RULES.map((r) => r.id))
