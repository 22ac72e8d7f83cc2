import { Hono } from 'hono'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderProblem } from '../../../../internal/shell/errors.ts'
import type { GatewayEnv } from '../../env.ts'
import { shellFields, testInit } from '../testing.ts'
import { rateLimit } from './index.ts'
import { scriptCalls as scriptCallsOf, startRedisFixture } from './runtime/redis-testing.ts'
import type { RedisFixture } from './runtime/redis-testing.ts'

// A real redis-server; each "gateway" is a policy instance of its own (its own reservations),
// as in separate processes. Every test uses its own policy name, so its own Redis keys.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let fixture: RedisFixture
let admin: Redis

beforeAll(async () => {
  fixture = await startRedisFixture()
  admin = fixture.admin
})
afterAll(() => fixture?.stop())

/** One gateway: the policy behind a shell that sets the peer address, before a 200 upstream. */
function gateway(name: string, limit: Record<string, unknown>, batch?: Record<string, unknown>, onStoreFailure?: string) {
  const app = new Hono<GatewayEnv>()
  app.use('*', shellFields)
  app.onError((err) => renderProblem(err, undefined))
  app.use('*', async (c, next) => {
    c.set('remoteAddress', '192.0.2.1')
    await next()
  })
  const store = { redis: { url: fixture.redis.url, commandTimeout: '2s', ...(batch ? { batch } : {}) } }
  app.use('*', rateLimit.create(rateLimit.options.parse({ limit, key: 'ip', store, onStoreFailure }), testInit(name)))
  app.all('*', () => new Response('ok'))
  return app
}

const scriptCalls = () => scriptCallsOf(admin)

/** Redis keys' values under a policy (its windows' counters). */
async function counters(name: string): Promise<Record<string, number>> {
  const keys = await admin.keys(`gatehouse:rl:${name}*`)
  const out: Record<string, number> = {}
  for (const key of keys) out[key] = Number(await admin.get(key))
  return out
}

describe('rate-limit on redis with batching', () => {
  it('admits at most the limit across two gateways sharing a window, losing at most their unspent reservations', async () => {
    const limit = { requests: 100, per: '1m' }
    const a = gateway('shared', limit, { tokens: 10 })
    const b = gateway('shared', limit, { tokens: 10 })
    // 300 requests, 16 in flight at a time, alternating gateways: concurrent reservations on both.
    const statuses: number[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 300) {
          const app = next++ % 2 === 0 ? a : b
          statuses.push((await app.request('/')).status)
        }
      }),
    )
    const admitted = statuses.filter((s) => s === 200).length
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
    expect(admitted).toBeLessThanOrEqual(100)
    expect(admitted).toBeGreaterThanOrEqual(100 - 2 * (10 - 1))
    // Reserved, never past the limit: the shared counter stops at 100.
    expect(Object.values(await counters('shared'))).toEqual([100])
  })

  it('spends a reservation without a Redis command, reports exact remaining from one gateway, and refuses locally once the window is all reserved', async () => {
    const batched = gateway('local', { requests: 20, per: '1m' }, { tokens: 10, share: 0.5 })
    await admin.config('RESETSTAT')
    const before = await scriptCalls()
    const remaining: string[] = []
    for (let i = 0; i < 10; i++) remaining.push((await batched.request('/')).headers.get('ratelimit-remaining') ?? '')
    expect(remaining).toEqual(['19', '18', '17', '16', '15', '14', '13', '12', '11', '10'])
    expect((await scriptCalls()) - before).toBe(1) // ten requests, one reservation
    for (let i = 0; i < 10; i++) expect((await batched.request('/')).status).toBe(200)
    expect((await scriptCalls()) - before).toBe(2)
    // All 20 units are reserved (and spent): refusals need no round trip until the window ends.
    for (let i = 0; i < 5; i++) expect((await batched.request('/')).status).toBe(429)
    expect((await scriptCalls()) - before).toBe(2)

    // Unbatched, for contrast: a round trip per request.
    const exact = gateway('exact', { requests: 20, per: '1m' })
    const start = await scriptCalls()
    for (let i = 0; i < 10; i++) expect((await exact.request('/')).status).toBe(200)
    expect((await scriptCalls()) - start).toBe(10)
  })

  it('lets concurrent requests share one reservation instead of each asking Redis', async () => {
    const app = gateway('concurrent', { requests: 1_000_000, per: '1m' }, { tokens: 50 })
    expect((await app.request('/')).status).toBe(200)
    const before = await scriptCalls()
    for (let round = 0; round < 10; round++) {
      const statuses = await Promise.all(Array.from({ length: 64 }, async () => (await app.request('/')).status))
      expect(statuses.every((s) => s === 200)).toBe(true)
    }
    // 640 requests at 50 units a reservation: 13 round trips (a reservation arriving mid-round serves its waiters first).
    expect((await scriptCalls()) - before).toBeLessThanOrEqual(Math.ceil(640 / 50) + 1)
  })

  it('gets fresh tokens when the window rolls over (unspent ones are lost)', async () => {
    const app = gateway('rollover', { requests: 20, per: '1s' }, { tokens: 8, share: 0.5 })
    const first: number[] = []
    for (let i = 0; i < 25; i++) first.push((await app.request('/')).status)
    expect(first.filter((s) => s === 200)).toHaveLength(20)
    const refused = await app.request('/')
    expect(refused.status).toBe(429)
    await sleep(Number(refused.headers.get('retry-after')) * 1000 + 100)
    const fresh = await app.request('/')
    expect(fresh.status).toBe(200)
    expect(fresh.headers.get('ratelimit-remaining')).toBe('19')
    expect(Object.values(await counters('rollover'))).toEqual([8]) // one fresh reservation in the new window
  })

  it('batches only windows large enough for the share: a small limit stays exact', async () => {
    // share 0.1 of 10 requests is 1 unit: counted per request, as without batching.
    const a = gateway('small', { requests: 10, per: '1m' }, { tokens: 100 })
    const b = gateway('small', { requests: 10, per: '1m' }, { tokens: 100 })
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await (i % 2 === 0 ? a : b).request('/')).status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(10)
    expect(statuses.slice(10)).toEqual([429, 429])
  })

  it('shares one counter with unbatched gateways of the same policy', async () => {
    const batched = gateway('mixed', { requests: 30, per: '1m' }, { tokens: 10 })
    const exact = gateway('mixed', { requests: 30, per: '1m' })
    let admitted = 0
    for (let i = 0; i < 40; i++) if ((await (i % 2 === 0 ? batched : exact).request('/')).status === 200) admitted++
    expect(admitted).toBeLessThanOrEqual(30)
    expect(admitted).toBeGreaterThanOrEqual(30 - 9)
  })

  // Last: it kills the server.
  it('spends what it holds when redis dies, then applies onStoreFailure to the next reservation', async () => {
    const app = gateway('down', { requests: 100, per: '1m' }, { tokens: 5 }, 'closed')
    expect((await app.request('/')).status).toBe(200) // reserves 5, spends 1
    await fixture.redis.kill()
    for (let i = 0; i < 4; i++) expect((await app.request('/')).status).toBe(200)
    const res = await app.request('/')
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('1')
  })
})
