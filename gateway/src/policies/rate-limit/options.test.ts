import { describe, expect, it } from 'vitest'
import { rateLimit } from './index.ts'
import { batchSize } from './store.ts'

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
      headers: 'both',
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
    ['an unknown key part', { ...base, key: 'cookie' }],
    ['a key part in capitals', { ...base, key: 'IP' }],
    ['an empty key list', { ...base, key: [] }],
    ['a bad header name', { ...base, key: 'header:x api' }],
    ['an empty header name', { ...base, key: 'header:' }],
    ['negative trusted proxies', { ...base, trustedProxies: -1 }],
    ['a bare redis store', { ...base, store: 'redis' }],
    ['a redis store without a url', { ...base, store: { redis: {} } }],
    ['an http url for redis', { ...base, store: { redis: { url: 'http://127.0.0.1:6379' } } }],
    ['credentials in the redis url', { ...base, store: { redis: { url: 'redis://:secret@127.0.0.1:6379' } } }],
    ['a redis url with a path', { ...base, store: { redis: { url: 'redis://127.0.0.1:6379/x/y' } } }],
    ['an unknown redis key', { ...base, store: { redis: { url: 'redis://127.0.0.1', db: 1 } } }],
    ['a bad prefix', { ...base, store: { redis: { url: 'redis://127.0.0.1', prefix: 'a b' } } }],
    ['a command timeout over 10s', { ...base, store: { redis: { url: 'redis://127.0.0.1', commandTimeout: '11s' } } }],
    ['a sub-second window on redis', { ...base, limit: { requests: 1, per: '500ms' }, store: { redis: { url: 'redis://127.0.0.1' } } }],
    ['a fractional-second quota on redis', { ...base, limit: { requests: 1, per: '1s', quota: { requests: 5, per: '1.5s' } }, store: { redis: { url: 'redis://127.0.0.1' } } }],
    ['onStoreFailure with a memory store', { ...base, onStoreFailure: 'open' }],
    ['an unknown onStoreFailure', { ...base, onStoreFailure: 'maybe', store: { redis: { url: 'redis://127.0.0.1' } } }],
    ['a quota over 31 days', { ...base, limit: { requests: 1, per: '1s', quota: { requests: 5, per: '32d' } }, store: { redis: { url: 'redis://127.0.0.1' } } }],
    ['a monthly quota in memory', { ...base, limit: { requests: 1, per: '1s', quota: { requests: 5, per: '30d' } } }],
    ['a window over 24 days in memory', { ...base, limit: { requests: 1, per: '25d' } }],
    ['a quota without requests', { ...base, limit: { requests: 1, per: '1s', quota: { per: '1d' } } }],
    ['a cost above a quota', { ...base, limit: { requests: 10, per: '1s', quota: { requests: 3, per: '1d' } }, cost: { methods: { POST: 4 } } }],
    ['tiers without limits', { ...base, tiers: { claim: 'plan', limits: {} } }],
    ['tiers without a claim', { ...base, tiers: { limits: { pro: base.limit } } }],
    ['a negative cost', { ...base, cost: { methods: { POST: -1 } } }],
    ['a bad method name', { ...base, cost: { methods: { 'PO ST': 1 } } }],
    ['a cost above a limit', { ...base, cost: { methods: { POST: 11 } } }],
    ['body units that could push a cost above the limit', { ...base, cost: { methods: { POST: 2 }, body: { perBytes: 1024, maxUnits: 9 } } }],
    ['a body cost without maxUnits', { ...base, cost: { body: { perBytes: 1024 } } }],
    ['a zero perBytes', { ...base, cost: { body: { perBytes: 0, maxUnits: 2 } } }],
    ['a cost above a tier', { ...base, tiers: { claim: 'plan', limits: { free: { requests: 2, per: '1m', burst: 1 } } }, cost: { methods: { POST: 4 } } }],
  ])('rejects %s', (_, options) => {
    expect(parse(options).success).toBe(false)
  })

  it('accepts a redis store with defaults, quotas in days, and the apikey key part', () => {
    const o = rateLimit.options.parse({
      ...base,
      key: ['apikey', 'route'],
      limit: { requests: 10, per: '1s', quota: { requests: 10_000, per: '30d' } },
      store: { redis: { url: 'redis://127.0.0.1:6379/0' } },
      onStoreFailure: 'closed',
    })
    expect(o.store).toEqual({ redis: { url: 'redis://127.0.0.1:6379/0', prefix: 'gatehouse:rl:', commandTimeout: 250 } })
    expect(o.limit.quota).toEqual({ requests: 10_000, per: 30 * 86_400_000 })
    expect(o.key).toEqual(['apikey', 'route'])
    expect(o.onStoreFailure).toBe('closed')
    expect(rateLimit.options.parse({ ...base, limit: { requests: 1, per: '1d12h' } }).limit.per).toBe(36 * 3_600_000)
    const tls = rateLimit.options.parse({ ...base, store: { redis: { url: 'rediss://cache.internal:6380', prefix: 'edge:', commandTimeout: '1s' } } })
    expect(tls.store).toEqual({ redis: { url: 'rediss://cache.internal:6380', prefix: 'edge:', commandTimeout: 1000 } })
  })

  it('accepts redis batching with a default share, and sizes each window by it', () => {
    const redis = (batch: unknown) => ({ ...base, store: { redis: { url: 'redis://127.0.0.1:6379/0', batch } } })
    const o = rateLimit.options.parse(redis({ tokens: 100 }))
    const batch = typeof o.store === 'object' ? o.store.redis.batch : undefined
    expect(batch).toEqual({ tokens: 100, share: 0.1 })
    expect(batchSize(batch, 1_000_000)).toBe(100) // capped by tokens
    expect(batchSize(batch, 500)).toBe(50) // capped by the share
    expect(batchSize(batch, 19)).toBe(1) // under 2: counted per request
    expect(batchSize(undefined, 1_000_000)).toBe(1)
    for (const bad of [{ tokens: 1 }, { tokens: 10, share: 0 }, { tokens: 10, share: 1.5 }, { tokens: 10, size: 5 }, {}])
      expect(parse(redis(bad)).success, JSON.stringify(bad)).toBe(false)
  })

  it('says why a memory window is too long', () => {
    const r = parse({ ...base, limit: { requests: 1, per: '1s', quota: { requests: 5, per: '30d' } } })
    expect(r.error?.issues[0]).toMatchObject({ path: ['limit', 'quota', 'per'], message: 'the memory store keeps windows of at most 24d: use a redis store for monthly quotas' })
    expect(parse({ ...base, limit: { requests: 1, per: '1s', quota: { requests: 5, per: '24d' } } }).success).toBe(true)
  })

  it('says where a redis window is fractional', () => {
    const r = parse({ ...base, tiers: { claim: 'plan', limits: { pro: { requests: 1, per: '1.5s' } } }, store: { redis: { url: 'redis://127.0.0.1' } } })
    expect(r.error?.issues[0]).toMatchObject({ path: ['tiers', 'limits', 'pro', 'per'] })
  })

  it('says where a cost is too high', () => {
    const r = parse({ ...base, cost: { methods: { post: 11 } } })
    expect(r.error?.issues[0]).toMatchObject({ path: ['cost', 'methods', 'POST'], message: 'cost 11 exceeds limit (requests + burst = 10)' })
  })
})
