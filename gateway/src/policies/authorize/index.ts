import { GatewayError } from '../../../../internal/shell/errors.ts'
import { definePolicy, inboundPolicy } from '../types.ts'
import type { Check } from './checks.ts'
import { grantCheck, rulesCheck, tenantCheck } from './checks.ts'
import { AuthorizeOptions } from './options.ts'

export { AuthorizeOptions } from './options.ts'
export type { AuthorizeRule } from './options.ts'

const unauthenticated = (): GatewayError =>
  new GatewayError('UNAUTHENTICATED', 'authentication required', { headers: { 'www-authenticate': 'Bearer realm="gatehouse"' } })

/**
 * Decides whether the principal (set by an authentication policy such as `jwt`) may make this
 * request: required scopes and roles, tenant isolation, and attribute rules over claims and
 * request fields. No principal is 401 (unless `anonymous`); a failed requirement is 403 naming it.
 */
export const authorize = definePolicy({
  type: 'authorize',
  description: 'Require scopes, roles, a matching tenant and attribute rules of the principal',
  options: AuthorizeOptions,
  create(o) {
    const checks: Check[] = []
    if (o.scopes) checks.push(grantCheck('scopes', o.scopes))
    if (o.roles) checks.push(grantCheck('roles', o.roles))
    if (o.tenant) checks.push(tenantCheck(o.tenant))
    if (o.rules) checks.push(rulesCheck(o.rules))

    return inboundPolicy(function authorize(c) {
      const principal = c.get('principal')
      if (principal === undefined && !o.anonymous) throw unauthenticated()
      for (const check of checks) {
        const denial = check(c, principal)
        if (denial !== undefined)
          throw new GatewayError('PERMISSION_DENIED', denial.reason, { extensions: { requirement: denial.requirement } })
      }
    })
  },
})
