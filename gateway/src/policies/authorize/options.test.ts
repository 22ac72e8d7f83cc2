import { describe, expect, it } from 'vitest'
import { check } from '../../bundle/issues.ts'
import { AuthorizeOptions } from './options.ts'

/** The operator-facing findings for `options`, as "path: message". */
function problems(options: unknown): string[] {
  const result = check(AuthorizeOptions, options)
  return result.ok ? [] : result.findings.map((f) => `${f.path.join('.')}: ${f.message}`)
}

describe('authorize options', () => {
  it('accepts every requirement together, and defaults anonymous to false', () => {
    const options = {
      scopes: { all: ['read'], any: ['eu', 'us'] },
      roles: { any: ['admin'] },
      tenant: { from: 'param', name: 'tenant' },
      rules: [
        { claim: 'org.plan', equals: 'pro' },
        { request: 'header:x-env', in: ['prod', 'stage'] },
        { request: 'path', prefix: '/v1/' },
        { request: 'param:id', prefix: 'doc-' },
        { request: 'method', in: ['GET'] },
      ],
    }
    expect(problems(options)).toEqual([])
    expect(AuthorizeOptions.parse({})).toEqual({ anonymous: false })
    expect(problems({ anonymous: true, rules: [{ request: 'method', equals: 'GET' }] })).toEqual([])
  })

  it.each([
    ['two operators in a rule', { rules: [{ claim: 'a', equals: 'x', prefix: 'y' }] }, 'rules.0: a rule needs exactly one of "equals", "in" and "prefix" (got equals, prefix)'],
    ['no operator in a rule', { rules: [{ claim: 'a' }] }, 'rules.0: a rule needs exactly one of "equals", "in" and "prefix" (got none)'],
    ['two subjects in a rule', { rules: [{ claim: 'a', request: 'path', equals: 'x' }] }, 'rules.0: a rule needs exactly one of "claim" and "request" (got 2)'],
    ['no subject in a rule', { rules: [{ equals: 'x' }] }, 'rules.0: a rule needs exactly one of "claim" and "request" (got 0)'],
    ['an unknown request field', { rules: [{ request: 'query:x', equals: 'x' }] }, 'rules.0.request: expected "method", "path", "header:<name>" or "param:<name>"'],
    ['a bad header name in a rule', { rules: [{ request: 'header:x y', equals: 'x' }] }, 'rules.0.request: expected "method", "path", "header:<name>" or "param:<name>"'],
    ['an empty claim path segment', { rules: [{ claim: 'org..id', equals: 'x' }] }, 'rules.0.claim: a claim name or dotted path (a.b.c) without empty parts'],
    ['a lower-case method', { rules: [{ request: 'method', equals: 'get' }] }, 'rules.0: methods are upper case (GET, POST, ...)'],
    ['an empty list of scopes', { scopes: { all: [] } }, 'scopes.all: list at least one value'],
    ['an empty "in"', { rules: [{ claim: 'a', in: [] }] }, 'rules.0.in: list at least one value'],
    ['an empty rule list', { rules: [] }, 'rules: list at least one rule'],
    ['scopes with neither all nor any', { scopes: {} }, 'scopes: give "all" or "any" (or both)'],
    ['an empty scope name', { roles: { any: [''] } }, 'roles.any.0: must not be empty'],
    ['an unknown top-level key', { scope: { all: ['a'] } }, 'scope: unknown key "scope" (did you mean "scopes"?)'],
    ['an unknown rule key', { rules: [{ claim: 'a', equals: 'x', not: true }] }, 'rules.0.not: unknown key "not"'],
    ['a bad tenant source', { tenant: { from: 'query', name: 't' } }, 'tenant.from: expected one of "param", "header", received "query"'],
    ['a bad tenant header name', { tenant: { from: 'header', name: 'x tenant' } }, 'tenant.name: not a valid header name'],
    ['anonymous with scopes', { anonymous: true, scopes: { all: ['a'] } }, 'anonymous: "anonymous: true" cannot be combined with scopes: they need a principal'],
    ['anonymous with a claim rule', { anonymous: true, rules: [{ claim: 'a', equals: 'x' }] }, 'anonymous: "anonymous: true" cannot be combined with claim rules: they need a principal'],
  ])('rejects %s', (_, options, message) => {
    expect(problems(options)).toContain(message)
  })
})
