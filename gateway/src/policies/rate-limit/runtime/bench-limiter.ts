/**
 * Node only (timers and CPU from `process`), hence in runtime/. In-process cost of the
 * rate-limit policy per request, without sockets or a proxy: the key,
 * the limiter, the headers, and the whole middleware (with a no-op `next`), each timed over N
 * calls on one hono Context keyed by ip + route (one hot bucket, the bench's case).
 *
 *   node --import tsx gateway/src/policies/rate-limit/runtime/bench-limiter.ts [--n 200000] [--redis redis://127.0.0.1:6379/0]
 *   node --cpu-prof --cpu-prof-dir /tmp/prof --import tsx gateway/src/policies/rate-limit/runtime/bench-limiter.ts
 *
 * Without --redis it measures the memory store; with it, the same on that server (sequential
 * awaits: one round trip per call unless a batch reservation covers it).
 */
import { Context, Hono } from 'hono'
import { applyResponseFields, queuedResponseFields } from '../../../../../internal/shell/response-fields.ts'
import type { MiddlewareHandler } from 'hono'
import { parseArgs } from 'node:util'
import type { GatewayEnv } from '../../../env.ts'
import { closeRedisConnections, sharedRedis } from '../../../stores/redis.ts'
import { testInit } from '../../testing.ts'
import { rateLimitHeaders, setRateLimitFields } from '../headers.ts'
import { rateLimit } from '../index.ts'
import { createBucketKey } from '../key.ts'
import { createLimiterSet } from '../limiter.ts'
import { memoryCounter } from '../memory-counter.ts'
import { RateLimitOptions } from '../options.ts'
import { createStore } from '../store.ts'

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '200000' },
    redis: { type: 'string' },
    batch: { type: 'string' },
    concurrency: { type: 'string', default: '64' },
  },
})
const n = Number(values.n)
const LIMIT = { requests: 1_000_000_000, per: '1m' }

const store = values.redis ? { redis: { url: values.redis, commandTimeout: '2s', ...(values.batch ? { batch: { tokens: Number(values.batch) } } : {}) } } : 'memory'
const options = RateLimitOptions.parse({ limit: LIMIT, key: ['ip', 'route'], store })

function context(): Context<GatewayEnv> {
  const c = new Context<GatewayEnv>(new Request('http://gateway.test/v1/objects/a'))
  c.set('remoteAddress', '203.0.113.7')
  c.set('routeId', 'objects')
  c.set('responseFields', {})
  c.res = new Response('ok')
  return c
}

/** Times `calls` runs of `run`, reported per request (`perCall` requests per run). */
async function time(label: string, calls: number, run: () => unknown, perCall = 1): Promise<void> {
  // Awaits only what returns a promise, as the policy does: a synchronous answer costs no microtask.
  for (let i = 0; i < Math.min(calls, 20_000 / perCall); i++) {
    const r = run()
    if (r instanceof Promise) await r
  }
  const started = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  for (let i = 0; i < calls; i++) {
    const r = run()
    if (r instanceof Promise) await r
  }
  const us = Number(process.hrtime.bigint() - started) / 1e3 / calls / perCall
  const used = process.cpuUsage(cpu)
  const cpuUs = (used.user + used.system) / calls / perCall
  console.log(`${label.padEnd(28)} ${us.toFixed(3).padStart(8)} us/call  ${cpuUs.toFixed(3).padStart(8)} us CPU/call`)
}

async function main(): Promise<void> {
  const c = context()
  const init = testInit('bench')
  if (values.redis) {
    // Count in Redis, not in the insurance: wait for the shared connection the store will use.
    const connection = sharedRedis(values.redis, 2_000)
    const deadline = Date.now() + 5_000
    while (!connection.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    if (!connection.ready) throw new Error(`redis at ${values.redis} is not ready`)
  }
  const redisCalls = values.redis ? Math.min(n, 20_000) : n
  console.log(`rate-limit micro bench: ${values.redis ? `redis ${values.redis}${values.batch ? `, batch ${values.batch}` : ''}` : 'memory'}, key ip+route, ${n} calls`)
  const keyOf = createBucketKey(options.key, options.trustedProxies)
  await time('key (bucketKey)', n, () => keyOf(c))
  const key = keyOf(c)
  const limiter = createLimiterSet(options.limit, `rl:bench`, values.redis ? createStore(options, init).make : memoryCounter)
  await time('limiter consume', redisCalls, () => limiter.consume(key, 1))
  const verdict = await limiter.consume(key, 1)
  await time('headers (rateLimitHeaders)', n, () => rateLimitHeaders(verdict))
  // What the policy does with them: set on the shell's queue, which writes them with the response.
  await time('queue headers (responseFields)', n, () => {
    c.set('responseFields', {})
    setRateLimitFields(queuedResponseFields(c), verdict)
  })
  const middleware = rateLimit.create(options, init)
  const next = async () => {}
  await time('whole middleware', redisCalls, () => middleware(c, next))
  // Through hono's front door (a Request in, a Response out), against a no-op policy: what the policy adds.
  const app = (policy: MiddlewareHandler<GatewayEnv>) =>
    new Hono<GatewayEnv>()
      .use('*', async (ctx, next) => {
        ctx.set('remoteAddress', '203.0.113.7')
        ctx.set('routeId', 'objects')
        ctx.set('responseFields', {})
        await next()
        applyResponseFields(ctx)
      })
      .use('*', policy)
      .all('*', () => new Response('ok'))
  const noop = app(async (_, next) => next())
  const limited = app(middleware)
  await time('app.request, no-op policy', redisCalls, () => noop.request('/v1/objects/a'))
  await time('app.request, rate-limit', redisCalls, () => limited.request('/v1/objects/a'))
  // The same with requests in flight together, as a loaded gateway has them (a round trip overlaps others).
  const inFlight = Number(values.concurrency)
  const together = (target: Hono<GatewayEnv>) => () => Promise.all(Array.from({ length: inFlight }, () => target.request('/v1/objects/a')))
  const rounds = Math.max(1, Math.floor(redisCalls / inFlight))
  await time(`x${inFlight} in flight, no-op`, rounds, together(noop), inFlight)
  await time(`x${inFlight} in flight, rate-limit`, rounds, together(limited), inFlight)
  const failures = init.metrics.render().split('\n').find((l) => l.startsWith('gatehouse_rate_limit_store_failures_total{'))
  if (failures) console.log(failures)
  await closeRedisConnections()
}

await main()
