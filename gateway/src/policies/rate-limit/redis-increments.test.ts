import type { Redis } from 'ioredis'
import { RateLimiterRedis } from 'rate-limiter-flexible'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRegistry } from '../../../../internal/shell/metrics.ts'
import type { Take } from './limiter.ts'
import { incrementMetrics, RedisIncrements, redisIncrementCounter, redisIncrements } from './redis-increments.ts'
import { scriptCalls as scriptCallsOf, startRedisFixture } from './runtime/redis-testing.ts'
import type { RedisFixture } from './runtime/redis-testing.ts'

// A real redis-server; the counters use the gateway's shared connection, as the policy does.

let fixture: RedisFixture
let admin: Redis
let client: object

beforeAll(async () => {
  fixture = await startRedisFixture()
  admin = fixture.admin
  client = fixture.client
})
afterAll(() => fixture?.stop())

const scriptCalls = () => scriptCallsOf(admin)
const settle = (takes: (Take | Promise<Take>)[]) => Promise.allSettled(takes)

describe('redis increments, the requests of one event-loop turn in one script call', () => {
  it('counts concurrent requests of one key exactly, in the order they asked, in one round trip', async () => {
    const counter = redisIncrementCounter({ client, keyPrefix: 'test:one', points: 30, durationS: 60 })
    const before = await scriptCalls()
    const takes = await Promise.all(Array.from({ length: 50 }, () => counter.consume('k', 1)))
    expect((await scriptCalls()) - before).toBe(1)
    expect(takes.map((t) => t.remaining)).toEqual([...Array.from({ length: 30 }, (_, i) => 29 - i), ...Array.from({ length: 20 }, () => 0)])
    expect(takes.map((t) => t.ok)).toEqual([...Array.from({ length: 30 }, () => true), ...Array.from({ length: 20 }, () => false)])
    for (const t of takes) expect(t.msLeft).toBeGreaterThan(55_000)
    for (const t of takes) expect(t.msLeft).toBeLessThanOrEqual(60_000)
    // A refused request counts too (as with rate-limiter-flexible), so the window never admits more than its points.
    expect(await admin.get('test:one:k')).toBe('50')
    expect(await admin.ttl('test:one:k')).toBeGreaterThan(55)
  })

  it('sends different keys, windows and costs of one turn together, each with its own TTL and count', async () => {
    const short = redisIncrementCounter({ client, keyPrefix: 'test:mix:short', points: 10, durationS: 5 })
    const long = redisIncrementCounter({ client, keyPrefix: 'test:mix:long', points: 1_000, durationS: 86_400 })
    const before = await scriptCalls()
    const [a, b, c, d] = await Promise.all([short.consume('x', 4), long.consume('x', 7), short.consume('y', 11), short.consume('x', 4)])
    expect((await scriptCalls()) - before).toBe(1)
    expect(a).toMatchObject({ ok: true, remaining: 6 })
    expect(b).toMatchObject({ ok: true, remaining: 993 })
    expect(c).toMatchObject({ ok: false, remaining: 0 })
    expect(d).toMatchObject({ ok: true, remaining: 2 })
    expect(a.msLeft).toBeLessThanOrEqual(5_000)
    expect(b.msLeft).toBeGreaterThan(86_000_000)
    expect(await admin.mget('test:mix:short:x', 'test:mix:long:x', 'test:mix:short:y')).toEqual(['8', '7', '11'])
  })

  it('goes out as several calls past 256 keys, and answers every request', async () => {
    const counter = redisIncrementCounter({ client, keyPrefix: 'test:many', points: 1_000_000, durationS: 60 })
    const before = await scriptCalls()
    const takes = await Promise.all(Array.from({ length: 600 }, (_, i) => counter.consume(`k${i % 300}`, 1)))
    expect((await scriptCalls()) - before).toBe(3)
    expect(takes.every((t) => t.ok)).toBe(true)
    expect(await admin.get('test:many:k0')).toBe('2')
    expect(await admin.get('test:many:k299')).toBe('2')
  })

  it('fails only the request whose key Redis cannot count; the others of its call are answered', async () => {
    await admin.rpush('test:bad:list', 'not a counter')
    await admin.set('test:bad:text', 'abc')
    const counter = redisIncrementCounter({ client, keyPrefix: 'test:bad', points: 10, durationS: 60 })
    const [list, ok, text] = await settle([counter.consume('list', 1), counter.consume('fine', 1), counter.consume('text', 1)])
    expect(list).toMatchObject({ status: 'rejected', reason: { message: 'redis could not count test:bad:list' } })
    expect(ok).toMatchObject({ status: 'fulfilled', value: { ok: true, remaining: 9 } })
    expect(text?.status).toBe('rejected')
    expect(await admin.get('test:bad:text')).toBe('abc') // left as it was
  })

  it("shares its counters with rate-limiter-flexible's RateLimiterRedis (same keys, same counting)", async () => {
    const library = new RateLimiterRedis({ storeClient: admin, keyPrefix: 'test:lib', points: 10, duration: 60 })
    const ours = redisIncrementCounter({ client, keyPrefix: 'test:lib', points: 10, durationS: 60 })
    await library.consume('k', 3)
    expect(await ours.consume('k', 2)).toMatchObject({ ok: true, remaining: 5 })
    const res = await library.consume('k', 1)
    expect(res.consumedPoints).toBe(6)
    expect(res.msBeforeNext).toBeGreaterThan(55_000)
  })

  it('restores a TTL that went missing, so a window never lasts forever', async () => {
    await admin.set('test:ttl:k', '4') // no TTL, as after a PERSIST
    const counter = redisIncrementCounter({ client, keyPrefix: 'test:ttl', points: 10, durationS: 30 })
    const take = await counter.consume('k', 1)
    expect(take).toMatchObject({ ok: true, remaining: 5, msLeft: 30_000 })
    expect(await admin.ttl('test:ttl:k')).toBeGreaterThan(25)
  })

  it('counts its calls and the increments they carried (the coalescing an operator sees in /metrics)', async () => {
    const registry = createRegistry()
    const queue = new RedisIncrements(client, incrementMetrics(registry, 'redis://127.0.0.1:6379/0'))
    await Promise.all(Array.from({ length: 5 }, (_, i) => queue.add(`test:metrics:${i % 2}`, 1, 60, 10)))
    await queue.add('test:metrics:0', 1, 60, 10)
    const text = registry.render()
    expect(text).toContain('gatehouse_rate_limit_redis_calls_total{store="redis://127.0.0.1:6379/0"} 2')
    expect(text).toContain('gatehouse_rate_limit_redis_increments_total{store="redis://127.0.0.1:6379/0"} 6')
  })

  it('one queue per connection: every window counted on it joins the same call', () => {
    expect(redisIncrements(client)).toBe(redisIncrements(client))
    expect(() => redisIncrements({})).toThrow(/needs an ioredis client/)
  })

  // Last: it kills the server.
  it('rejects every request of the call at once when Redis is gone (the policy then falls back)', async () => {
    const counter = redisIncrementCounter({ client, keyPrefix: 'test:down', points: 10, durationS: 60 })
    await fixture.redis.kill()
    const started = Date.now()
    const results = await settle(Array.from({ length: 5 }, () => counter.consume('k', 1)))
    expect(results.every((r) => r.status === 'rejected')).toBe(true)
    expect(Date.now() - started).toBeLessThan(1_000) // no offline queue: no wait for the 2 s command timeout
  })
})
