import { describe, expect, it } from 'vitest'
import { BASE_RULES } from './base-rules.ts'
import { loadRuleFiles } from './rule-set.ts'
import { CHECKS, COLLECTIONS, TRANSFORMS } from './rule-spec.ts'

const FAMILIES = ['sqli', 'xss', 'lfi', 'restricted-files', 'rce', 'php', 'java', 'nodejs', 'ssrf', 'protocol', 'scanner']

describe('base rule set', () => {
  it('loads every rule with id, family, severity, paranoia, targets, transforms and a compiling pattern or a check', () => {
    expect(BASE_RULES.length).toBeGreaterThan(60)
    for (const r of BASE_RULES) {
      expect(Number.isInteger(r.id), `rule ${r.id}`).toBe(true)
      expect(FAMILIES, `rule ${r.id} family`).toContain(r.family)
      expect(['critical', 'error', 'warning', 'notice']).toContain(r.severity)
      expect(r.paranoia).toBeGreaterThanOrEqual(1)
      expect(r.paranoia).toBeLessThanOrEqual(4)
      expect(r.targets.length, `rule ${r.id} targets`).toBeGreaterThan(0)
      for (const t of r.targets) expect((COLLECTIONS as readonly string[]).includes(t) || /^\w+\.\S+$/.test(t), `rule ${r.id} target ${t}`).toBe(true)
      for (const t of r.transforms) expect(TRANSFORMS).toContain(t)
      if (r.check !== undefined) expect(CHECKS).toContain(r.check)
      else expect(() => new RegExp(r.pattern as string, 'i'), `rule ${r.id}`).not.toThrow()
    }
  })

  it('has unique ids and every family at paranoia 1', () => {
    expect(new Set(BASE_RULES.map((r) => r.id)).size).toBe(BASE_RULES.length)
    for (const f of FAMILIES) expect(BASE_RULES.some((r) => r.family === f && r.paranoia === 1), f).toBe(true)
  })

  it('has rules above paranoia 1 so that raising it enables more', () => {
    expect(BASE_RULES.filter((r) => r.paranoia > 1).length).toBeGreaterThan(3)
  })
})

describe('loadRuleFiles', () => {
  const rule = (extra: string) => `rules:\n  - id: 1\n    family: x\n    severity: critical\n    paranoia: 1\n    message: m\n    targets: [args]\n    transforms: []\n${extra}`

  it('accepts a minimal rule', () => {
    expect(loadRuleFiles({ 'a.yaml': rule("    pattern: 'x'\n") })).toHaveLength(1)
  })

  it('names the file and the problem: bad regex, unknown key, missing pattern, duplicate id, bad target', () => {
    expect(() => loadRuleFiles({ 'a.yaml': rule("    pattern: '(x'\n") })).toThrow(/a\.yaml: rules\.0\.pattern: pattern does not compile/)
    expect(() => loadRuleFiles({ 'a.yaml': rule("    pattern: 'x'\n    phase: 2\n") })).toThrow(/a\.yaml.*phase/)
    expect(() => loadRuleFiles({ 'a.yaml': rule('') })).toThrow(/exactly one of "pattern" and "check"/)
    expect(() => loadRuleFiles({ 'a.yaml': rule("    pattern: 'x'\n"), 'b.yaml': rule("    pattern: 'y'\n") })).toThrow(/b\.yaml: rule 1 is also defined in a\.yaml/)
    expect(() => loadRuleFiles({ 'a.yaml': rule("    pattern: 'x'\n").replace('[args]', '[argz]') })).toThrow(/targets/)
    expect(() => loadRuleFiles({ 'a.yaml': rule("    pattern: 'x'\n    keywords: [x]\n") })).toThrow(/keywords with letters need the "lowercase"/)
  })
})
