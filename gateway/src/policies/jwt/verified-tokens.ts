import type { JWTPayload } from 'jose'
import type { Principal } from '../../principal.ts'

/** What a verified token amounts to: its principal and the claim headers to send upstream. */
export interface Verified {
  readonly principal: Principal
  readonly headers: readonly (readonly [string, string])[]
}

interface Entry {
  readonly verified: Verified
  /** Epoch ms after which the entry is not used. */
  readonly until: number
  /** The key set it was verified against; a refetched set invalidates it. */
  readonly keySet: unknown
}

export interface VerifiedTokens {
  get(token: string, keySet: unknown): Verified | undefined
  add(token: string, keySet: unknown, until: number, verified: Verified): Verified
}

/**
 * A bounded memo of tokens that passed every check, keyed by the whole token (the signature is
 * bound to header and payload, so nothing shorter will do). Signature verification is the bulk of
 * the policy's cost (~100-200 us per token on Node); a client reuses its token for minutes. An
 * entry lives until the token's own deadline (`until`), at most `ttlMs`, and only while the key
 * set it was verified with is the current one. Oldest entries go first when full; 0 entries = off.
 */
export function createVerifiedTokens(maxEntries: number, ttlMs: number): VerifiedTokens {
  const entries = new Map<string, Entry>()
  return {
    get(token, keySet) {
      const entry = entries.get(token)
      if (entry === undefined) return undefined
      if (entry.until > Date.now() && entry.keySet === keySet) return entry.verified
      entries.delete(token)
      return undefined
    },
    add(token, keySet, until, verified) {
      if (maxEntries === 0) return verified
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string)
      entries.set(token, { verified, keySet, until: Math.min(until, Date.now() + ttlMs) })
      return verified
    },
  }
}

/** The latest moment a verified token would still pass the time checks: exp (and iat + maxAge) plus the skew. */
export function validUntil(payload: JWTPayload, clockSkewMs: number, maxAgeMs: number | undefined): number {
  const exp = typeof payload.exp === 'number' ? payload.exp * 1000 : 0
  const aged = maxAgeMs !== undefined && typeof payload.iat === 'number' ? payload.iat * 1000 + maxAgeMs : Number.POSITIVE_INFINITY
  return Math.min(exp, aged) + clockSkewMs
}
