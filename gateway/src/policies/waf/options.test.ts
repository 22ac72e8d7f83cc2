import { describe, expect, it } from 'vitest'
import { WafOptions } from './options.ts'

const issues = (input: unknown) => {
  const r = WafOptions.safeParse(input)
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

describe('waf options', () => {
  it('fills defaults', () => {
    expect(WafOptions.parse({})).toMatchObject({
      mode: 'block',
      paranoia: 1,
      threshold: 5,
      inspectBodyBytes: 65536,
      oversizedBody: 'inspect-prefix',
      allowedMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      disable: [],
      exclude: [],
      rules: [],
    })
  })

  it('rejects unknown keys, bad values and rule ids that do not exist', () => {
    expect(issues({ mode: 'log' })[0]).toMatch(/^mode:/)
    expect(issues({ paranoia: 5 })[0]).toMatch(/^paranoia:/)
    expect(issues({ blocking: true })[0]).toMatch(/blocking/)
    expect(issues({ disable: [942999] })).toEqual(['disable.0: no rule 942999'])
    expect(issues({ exclude: [{ rule: 1 }] })).toEqual(['exclude.0.rule: no rule 1'])
    expect(issues({ exclude: [{}] })[0]).toMatch(/give "rule", "target" or both/)
    expect(issues({ allowedMethods: ['get'] })[0]).toMatch(/upper-case/)
  })

  it('validates extra rules like base rules and refuses taken ids', () => {
    const rule = { id: 100001, family: 'custom', severity: 'error', paranoia: 1, message: 'm', targets: ['args'], transforms: [], pattern: 'x' }
    expect(issues({ rules: [rule], disable: [100001] })).toEqual([])
    expect(issues({ rules: [{ ...rule, id: 942100 }] })).toEqual(['rules.0.id: rule id 942100 is already taken'])
    expect(issues({ rules: [{ ...rule, pattern: '(' }] })[0]).toMatch(/pattern does not compile/)
    expect(issues({ rules: [{ ...rule, targets: ['everything'] }] })[0]).toMatch(/^rules\.0\.targets\.0/)
  })
})
