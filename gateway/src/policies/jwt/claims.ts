import type { JWTPayload } from 'jose'
import type { Principal } from '../../principal.ts'
import { invalidToken } from './reject.ts'
import type { JwtOptions } from './options.ts'

/** A claim by exact name, else by dotted path (`realm_access.roles`). */
export function claim(payload: JWTPayload, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name]
  let at: unknown = payload
  for (const part of name.split('.')) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, part)) return undefined
    at = (at as Record<string, unknown>)[part]
  }
  return at
}

/** A space-separated string or a list of strings, as a list; anything else is empty. */
function words(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((w) => w !== '')
  if (Array.isArray(value)) return value.filter((w): w is string => typeof w === 'string' && w !== '')
  return []
}

/** The principal a verified token stands for; a token without a usable subject is refused. */
export function toPrincipal(payload: JWTPayload, names: JwtOptions['claims']): Principal {
  const subject = claim(payload, names.subject)
  if (typeof subject !== 'string' || subject === '') throw invalidToken(`missing subject claim (${names.subject})`)
  const tenant = names.tenant === undefined ? undefined : claim(payload, names.tenant)
  return Object.freeze({
    subject,
    ...(typeof tenant === 'string' && tenant !== '' ? { tenant } : {}),
    scopes: Object.freeze(words(claim(payload, names.scopes))),
    roles: Object.freeze(names.roles === undefined ? [] : words(claim(payload, names.roles))),
    claims: Object.freeze({ ...payload }),
  })
}

/** A claim as a header value: strings, numbers, booleans, lists of them joined by ","; else nothing. */
export function headerValue(value: unknown): string | undefined {
  const scalar = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined)
  const text = Array.isArray(value) ? value.map(scalar).filter((v) => v !== undefined).join(',') : scalar(value)
  if (text === undefined || text === '' || /[\r\n\0]/.test(text)) return undefined
  return text
}
