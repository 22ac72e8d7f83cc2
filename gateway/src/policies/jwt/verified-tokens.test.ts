import { describe, expect, it, vi } from 'vitest'
import { createVerifiedTokens, validUntil } from './verified-tokens.ts'
import type { Verified } from './verified-tokens.ts'

const verified = (subject: string): Verified => ({ principal: { subject, scopes: [], roles: [], claims: {} }, headers: [] })

describe('verified tokens', () => {
  it('returns an entry only for the same token, before its deadline, against the same key set', () => {
    vi.useFakeTimers({ now: 1_000_000 })
    try {
      const keys = {}
      const cache = createVerifiedTokens(10, 30_000)
      cache.add('t1', keys, 1_000_000 + 5_000, verified('a'))
      expect(cache.get('t1', keys)?.principal.subject).toBe('a')
      expect(cache.get('t2', keys)).toBeUndefined()
      expect(cache.get('t1', {})).toBeUndefined() // a refetched key set: verify again
      expect(cache.get('t1', keys)).toBeUndefined() // and the stale entry is gone
      cache.add('t1', keys, 1_000_000 + 5_000, verified('a'))
      vi.advanceTimersByTime(5_000)
      expect(cache.get('t1', keys)).toBeUndefined() // the token's own deadline
      cache.add('t3', keys, Number.POSITIVE_INFINITY, verified('c'))
      vi.advanceTimersByTime(30_000)
      expect(cache.get('t3', keys)).toBeUndefined() // the ttl
    } finally {
      vi.useRealTimers()
    }
  })

  it('drops the oldest entry when full, and keeps nothing with 0 entries', () => {
    const cache = createVerifiedTokens(2, 60_000)
    const until = Date.now() + 60_000
    for (const t of ['a', 'b', 'c']) cache.add(t, undefined, until, verified(t))
    expect(cache.get('a', undefined)).toBeUndefined()
    expect(cache.get('c', undefined)?.principal.subject).toBe('c')
    const off = createVerifiedTokens(0, 60_000)
    off.add('a', undefined, until, verified('a'))
    expect(off.get('a', undefined)).toBeUndefined()
  })

  it('ends at exp, or at iat + maxAge when sooner, plus the clock skew', () => {
    expect(validUntil({ exp: 100 }, 30_000, undefined)).toBe(130_000)
    expect(validUntil({ exp: 100, iat: 10 }, 30_000, 60_000)).toBe(100_000)
    expect(validUntil({ exp: 100, iat: 10 }, 0, 600_000)).toBe(100_000)
  })
})
