import type { Context } from 'hono'
import type { GatewayEnv } from '../../env.ts'
import type { Principal } from '../../principal.ts'
import { rawPath } from '../../routing/request-url.ts'
import type { AuthorizeOptions, AuthorizeRule } from './options.ts'

/** Which requirement a request failed, and a short reason naming it (never a claim or header value). */
export interface Denial {
  readonly requirement: 'scopes' | 'roles' | 'tenant' | 'rules'
  readonly reason: string
}

/** One compiled requirement: undefined when it holds. `principal` is undefined only for anonymous requests. */
export type Check = (c: Context<GatewayEnv>, principal: Principal | undefined) => Denial | undefined

type Granted = 'scopes' | 'roles'
type AllOrAny = NonNullable<AuthorizeOptions['scopes']>

/** Scopes or roles: every name in `all`, and at least one in `any`. Exact, case-sensitive names. */
export function grantCheck(kind: Granted, { all = [], any }: AllOrAny): Check {
  const noun = kind === 'scopes' ? 'scope' : 'role'
  return (_, principal) => {
    const held = new Set(principal?.[kind] ?? [])
    const missing = all.find((name) => !held.has(name))
    if (missing !== undefined) return { requirement: kind, reason: `missing ${noun} "${missing}"` }
    if (any !== undefined && !any.some((name) => held.has(name)))
      return { requirement: kind, reason: `needs one of the ${kind} ${any.map((n) => `"${n}"`).join(', ')}` }
    return undefined
  }
}

/**
 * Tenant isolation. Both sides must be present and equal code point for code point: no case
 * folding, no further decoding (path parameters arrive decoded once), so `ACME`, `%61cme` or a
 * look-alike never reach another tenant. A header given twice (joined with ",") is refused.
 */
export function tenantCheck({ from, name }: NonNullable<AuthorizeOptions['tenant']>): Check {
  const where = from === 'param' ? `path parameter "${name}"` : `header "${name}"`
  const deny = (reason: string): Denial => ({ requirement: 'tenant', reason })
  return (c, principal) => {
    const requested = from === 'param' ? param(c, name) : c.req.header(name)
    if (from === 'header' && requested?.includes(',')) return deny(`tenant ${where} given more than once`)
    if (requested === undefined || requested === '') return deny(`the request names no tenant (${where})`)
    if (principal?.tenant === undefined || principal.tenant === '') return deny('the principal has no tenant')
    if (requested !== principal.tenant) return deny(`tenant mismatch (${where})`)
    return undefined
  }
}

/** Every rule must hold; the first that does not is named by its position and subject. */
export function rulesCheck(rules: readonly AuthorizeRule[]): Check {
  const compiled = rules.map((rule, i) => {
    const label = `rule ${i + 1} (${rule.claim !== undefined ? `claim "${rule.claim}"` : `request ${rule.request}`})`
    const values = rule.in !== undefined ? new Set(rule.in) : undefined
    const holds = (v: string) =>
      rule.equals !== undefined ? v === rule.equals : values !== undefined ? values.has(v) : rule.prefix !== undefined && v.startsWith(rule.prefix)
    return { rule, label, holds }
  })
  return (c, principal) => {
    for (const { rule, label, holds } of compiled) {
      const value = rule.claim !== undefined ? claimValue(principal?.claims, rule.claim) : requestValue(c, rule.request ?? '')
      if (value === undefined) return { requirement: 'rules', reason: `${label}: no usable value` }
      if (!holds(value)) return { requirement: 'rules', reason: `${label} not satisfied` }
    }
    return undefined
  }
}

/** A claim by exact name, else by dotted path; strings, finite numbers and booleans only. */
export function claimValue(claims: Readonly<Record<string, unknown>> | undefined, path: string): string | undefined {
  if (claims === undefined) return undefined
  let at: unknown = claims
  if (Object.hasOwn(claims, path)) at = claims[path]
  else
    for (const part of path.split('.')) {
      if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, part)) return undefined
      at = (at as Record<string, unknown>)[part]
    }
  if (typeof at === 'string') return at
  if ((typeof at === 'number' && Number.isFinite(at)) || typeof at === 'boolean') return String(at)
  return undefined
}

function requestValue(c: Context<GatewayEnv>, field: string): string | undefined {
  if (field === 'method') return c.req.method
  if (field === 'path') return decodedPath(rawPath(c.req.url))
  if (field.startsWith('header:')) return c.req.header(field.slice('header:'.length))
  if (field.startsWith('param:')) return param(c, field.slice('param:'.length))
  return undefined
}

/**
 * The path with each segment percent-decoded once. Undefined (so the rule fails) when decoding
 * fails or would change the path's structure: an encoded `/` or `\`, a NUL, a `.` or `..` segment.
 */
export function decodedPath(raw: string): string | undefined {
  if (!raw.includes('%')) return raw.split('/').some(isDotSegment) ? undefined : raw
  const out: string[] = []
  for (const segment of raw.split('/')) {
    let decoded: string
    try {
      decoded = decodeURIComponent(segment)
    } catch {
      return undefined
    }
    if (/[/\\\0]/.test(decoded) || isDotSegment(decoded)) return undefined
    out.push(decoded)
  }
  return out.join('/')
}

/** A path parameter of the matched route (own keys only: never `__proto__` and friends). */
function param(c: Context<GatewayEnv>, name: string): string | undefined {
  const params = c.get('params')
  return params !== undefined && Object.hasOwn(params, name) ? params[name] : undefined
}

const isDotSegment = (s: string): boolean => s === '.' || s === '..'
