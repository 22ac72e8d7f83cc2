/**
 * A policy entry is checked in two steps: `type` must name a known policy type, then the other
 * keys must satisfy that type's own options schema. Nothing here lists the types by hand.
 */
import { POLICY_TYPES } from '../policies/index.ts'
import { check } from './issues.ts'
import type { Checked } from './issues.ts'
import { PolicyHead } from './schema.ts'
import { closest } from './suggest.ts'

export interface CheckedPolicy {
  readonly type: string
  /** The output of the type's options schema (defaults filled). */
  readonly options: Readonly<Record<string, unknown>>
}

export function checkPolicyEntry(raw: unknown): Checked<CheckedPolicy> {
  const head = check(PolicyHead, raw)
  if (!head.ok) return head
  const { type, ...rest } = head.value
  const policyType = POLICY_TYPES.get(type)
  if (!policyType) {
    const near = closest(type, POLICY_TYPES.keys())
    const hint = near ? `did you mean "${near}"?` : `known types: ${[...POLICY_TYPES.keys()].sort().join(', ')}`
    return { ok: false, findings: [{ path: ['type'], target: 'value', message: `unknown policy type "${type}" (${hint})` }] }
  }
  const options = check(policyType.options, rest)
  if (!options.ok) return options
  return { ok: true, value: { type, options: options.value } }
}
