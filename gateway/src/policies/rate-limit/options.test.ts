import { describe, expect, it } from 'vitest'
import { rateLimit } from './index.ts'

const parse = (options: unknown) => rateLimit.options.safeParse(options)
const base = { limit: { requests: 10, per: '1m' }, key: 'ip' }

describe('rate-limit options', () => {
  it('applies defaults and normalises key parts and methods', () => {
    const o = rateLimit.options.parse({ ...base, key: ['subject', 'header:X-Api-Key', 'subject'], cost: { methods: { post: 5 } } })
    expect(o).toEqual({
      limit: { requests: 10, per: 60_000, burst: 0 },
      key: ['subject', 'header:x-api-key'],
      trustedProxies: 0,
      cost: { methods: { POST: 5 } },
      store: 'memory',
    })
    expect(rateLimit.options.parse(base).key).toEqual(['ip'])
  })

  it('accepts tiers and a burst', () => {
    expect(parse({ ...base, limit: { requests: 10, per: '1s', burst: 20 }, tiers: { claim: 'plan', limits: { pro: { requests: 100, per: '1m' } } } }).success).toBe(true)
  })

  it.each([
    ['an unknown key', { ...base, points: 5 }],
    ['an unknown limit key', { ...base, limit: { requests: 1, per: '1s', points: 2 } }],
    ['zero requests', { ...base, limit: { requests: 0, per: '1s' } }],
    ['fractional requests', { ...base, limit: { requests: 1.5, per: '1s' } }],
    ['a window without a unit', { ...base, limit: { requests: 1, per: 60 } }],
    ['a window over 744h', { ...base, limit: { requests: 1, per: '745h' } }],
    ['a negative burst', { ...base, limit: { requests: 1, per: '1s', burst: -1 } }],
    ['a missing key', { limit: base.limit }],
    ['an unknown key part', { ...base, key: 'apikey' }],
    ['a key part in capitals', { ...base, key: 'IP' }],
    ['an empty key list', { ...base, key: [] }],
    ['a bad header name', { ...base, key: 'header:x api' }],
    ['an empty header name', { ...base, key: 'header:' }],
    ['negative trusted proxies', { ...base, trustedProxies: -1 }],
    ['a redis store (not yet)', { ...base, store: 'redis' }],
    ['tiers without limits', { ...base, tiers: { claim: 'plan', limits: {} } }],
    ['tiers without a claim', { ...base, tiers: { limits: { pro: base.limit } } }],
    ['a negative cost', { ...base, cost: { methods: { POST: -1 } } }],
    ['a bad method name', { ...base, cost: { methods: { 'PO ST': 1 } } }],
    ['a cost above a limit', { ...base, cost: { methods: { POST: 11 } } }],
    ['a cost above a tier', { ...base, tiers: { claim: 'plan', limits: { free: { requests: 2, per: '1m', burst: 1 } } }, cost: { methods: { POST: 4 } } }],
  ])('rejects %s', (_, options) => {
    expect(parse(options).success).toBe(false)
  })

  it('says where a cost is too high', () => {
    const r = parse({ ...base, cost: { methods: { post: 11 } } })
    expect(r.error?.issues[0]).toMatchObject({ path: ['cost', 'methods', 'POST'], message: 'cost 11 exceeds limit (requests + burst = 10)' })
  })
})
