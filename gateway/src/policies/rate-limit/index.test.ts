import { shellFields, testInit } from '../testing.ts'
import { Hono } from 'hono'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { renderProblem } from '../../../../internal/shell/errors.ts'
import type { GatewayEnv } from '../../env.ts'
import type { Principal } from '../../principal.ts'
import { closeRedisConnections } from '../../stores/redis.ts'
import { rateLimit } from './index.ts'
import { MemoryCounter } from './memory-counter.ts'

/** Per-request facts the stand-in shell sets before the policy (from request headers, for the tests). */
interface Facts {
  ip?: string
  principal?: Partial<Principal>
  route?: string
}

/** One rate-limit instance behind a tiny shell that sets remoteAddress/principal/routeId, before a 200 upstream. */
function policyApp(options: Record<string, unknown>, init = testInit('rl')) {
  const app = new Hono<GatewayEnv>()
  app.use('*', shellFields)
  app.onError((err) => renderProblem(err, undefined))
  app.use('*', async (c, next) => {
    const facts = JSON.parse(c.req.header('x-test-facts') ?? '{}') as Facts
    c.set('remoteAddress', facts.ip ?? '192.0.2.1')
    c.set('routeId', facts.route ?? 'objects')
    if (facts.principal) c.set('principal', { subject: 'anon', scopes: [], roles: [], claims: {}, ...facts.principal })
    c.set('upstreamHeaders', new Headers())
    await next()
  })
  app.use('*', rateLimit.create(rateLimit.options.parse(options), init))
  app.all('*', () => new Response('ok', { headers: { 'x-upstream': '1' } }))
  return app
}

const as = (facts: Facts, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string> | undefined), 'x-test-facts': JSON.stringify(facts) },
})
const statuses = async (app: Hono<GatewayEnv>, n: number, init: RequestInit = {}) => {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await app.request('/', init)).status)
  return out
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

afterEach(() => {
  vi.restoreAllMocks()
})

describe('rate-limit: allowing and refusing', () => {
  it('lets N requests through with rate-limit headers, then answers 429 problem+json with Retry-After', async () => {
    const app = policyApp({ limit: { requests: 3, per: '1m' }, key: 'ip' })
    for (const remaining of ['2', '1', '0']) {
      const res = await app.request('/')
      expect(res.status).toBe(200)
      expect(res.headers.get('x-upstream')).toBe('1')
      expect(res.headers.get('ratelimit-policy')).toBe('"rate";q=3;w=60')
      expect(res.headers.get('ratelimit-limit')).toBe('3')
      expect(res.headers.get('ratelimit-remaining')).toBe(remaining)
      expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(59)
      expect(res.headers.get('ratelimit')).toMatch(new RegExp(`^"rate";r=${remaining};t=(59|60)$`))
      expect(res.headers.has('retry-after')).toBe(false)
    }
    const res = await app.request('/')
    expect(res.status).toBe(429)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(59)
    expect(res.headers.get('ratelimit-policy')).toBe('"rate";q=3;w=60')
    expect(res.headers.get('ratelimit')).toMatch(/^"rate";r=0;t=(59|60)$/)
    expect(res.headers.get('ratelimit-remaining')).toBe('0')
    expect(res.headers.get('x-upstream')).toBeNull()
    expect(await res.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED', title: 'Rate limited', 'violated-policies': ['rate'] })
  })

  it('puts the headers on error responses from further down the chain too', async () => {
    const app = new Hono<GatewayEnv>()
    app.use('*', shellFields)
    app.onError((err) => renderProblem(err, undefined))
    app.use('*', async (c, next) => {
      c.set('remoteAddress', '192.0.2.1')
      await next()
    })
    app.use('*', rateLimit.create(rateLimit.options.parse({ limit: { requests: 5, per: '1m' }, key: 'ip' }), testInit('rl')))
    app.get('*', () => {
      throw new Error('boom')
    })
    const res = await app.request('/')
    expect(res.status).toBe(500)
    expect(res.headers.get('ratelimit-remaining')).toBe('4')
  })

  it('starts counting again when the window resets', async () => {
    const app = policyApp({ limit: { requests: 2, per: '300ms' }, key: 'ip' })
    expect(await statuses(app, 3)).toEqual([200, 200, 429])
    await sleep(350)
    expect(await statuses(app, 3)).toEqual([200, 200, 429])
    const res = await app.request('/')
    expect(res.headers.get('ratelimit-policy')).toBe('"rate";q=2;w=1') // sub-second windows round up to 1s
    expect(res.headers.get('retry-after')).toBe('1')
  })
})

describe('rate-limit: keys', () => {
  it('keeps a bucket per client ip', async () => {
    const app = policyApp({ limit: { requests: 2, per: '1m' }, key: 'ip' })
    expect(await statuses(app, 3, as({ ip: '198.51.100.1' }))).toEqual([200, 200, 429])
    expect(await statuses(app, 3, as({ ip: '198.51.100.2' }))).toEqual([200, 200, 429])
  })

  it('keeps a bucket per subject, whatever the address', async () => {
    const app = policyApp({ limit: { requests: 2, per: '1m' }, key: 'subject' })
    expect(await statuses(app, 1, as({ ip: '198.51.100.1', principal: { subject: 'alice' } }))).toEqual([200])
    expect(await statuses(app, 2, as({ ip: '198.51.100.2', principal: { subject: 'alice' } }))).toEqual([200, 429])
    expect(await statuses(app, 2, as({ ip: '198.51.100.2', principal: { subject: 'bob' } }))).toEqual([200, 200])
  })

  it('keeps a bucket per tenant, shared by its subjects', async () => {
    const app = policyApp({ limit: { requests: 2, per: '1m' }, key: ['tenant'] })
    expect(await statuses(app, 1, as({ principal: { subject: 'a', tenant: 'acme' } }))).toEqual([200])
    expect(await statuses(app, 2, as({ principal: { subject: 'b', tenant: 'acme' } }))).toEqual([200, 429])
    expect(await statuses(app, 2, as({ principal: { subject: 'c', tenant: 'globex' } }))).toEqual([200, 200])
  })

  it('combines parts: one bucket per route and subject', async () => {
    const app = policyApp({ limit: { requests: 1, per: '1m' }, key: ['route', 'subject'] })
    expect(await statuses(app, 2, as({ route: 'a', principal: { subject: 'alice' } }))).toEqual([200, 429])
    expect(await statuses(app, 2, as({ route: 'b', principal: { subject: 'alice' } }))).toEqual([200, 429])
    expect(await statuses(app, 2, as({ route: 'a', principal: { subject: 'bob' } }))).toEqual([200, 429])
  })

  it('keys by a header, case-insensitively', async () => {
    const app = policyApp({ limit: { requests: 1, per: '1m' }, key: 'header:X-Api-Key' })
    expect(await statuses(app, 2, { headers: { 'x-api-key': 'k1' } })).toEqual([200, 429])
    expect(await statuses(app, 1, { headers: { 'x-api-key': 'k2' } })).toEqual([200])
  })

  it('falls back to the client ip when the principal or header is absent (no global bucket)', async () => {
    const app = policyApp({ limit: { requests: 1, per: '1m' }, key: ['subject', 'header:x-api-key'] })
    expect(await statuses(app, 2, as({ ip: '198.51.100.1' }))).toEqual([200, 429])
    expect(await statuses(app, 2, as({ ip: '198.51.100.2' }))).toEqual([200, 429])
    // A subject's bucket is not an address's bucket.
    expect(await statuses(app, 1, as({ ip: '198.51.100.1', principal: { subject: 'alice' } }))).toEqual([200])
  })

  it('uses the peer address and ignores x-forwarded-for when no proxy is trusted', async () => {
    const app = policyApp({ limit: { requests: 1, per: '1m' }, key: 'ip' })
    expect(await statuses(app, 1, as({ ip: '10.0.0.1' }, { headers: { 'x-forwarded-for': '203.0.113.1' } }))).toEqual([200])
    expect(await statuses(app, 1, as({ ip: '10.0.0.1' }, { headers: { 'x-forwarded-for': '203.0.113.2' } }))).toEqual([429])
  })

  it('trusts only the configured number of x-forwarded-for hops', async () => {
    const app = policyApp({ limit: { requests: 1, per: '1m' }, key: 'ip', trustedProxies: 2 })
    const via = (xff: string) => as({ ip: '10.0.0.1' }, { headers: { 'x-forwarded-for': xff } })
    // client 203.0.113.1 behind two trusted proxies (the inner one, 10.0.0.9, appended the outer's view)
    expect(await statuses(app, 1, via('203.0.113.1, 10.0.0.9'))).toEqual([200])
    // the same client prepending spoofed hops lands in the same bucket
    expect(await statuses(app, 1, via('1.1.1.1, 2.2.2.2, 203.0.113.1, 10.0.0.9'))).toEqual([429])
    expect(await statuses(app, 1, via('203.0.113.2, 10.0.0.9'))).toEqual([200])
    // fewer hops than trusted: the leftmost one; no header at all: the peer address
    expect(await statuses(app, 1, via('203.0.113.3'))).toEqual([200])
    expect(await statuses(app, 2, as({ ip: '10.0.0.1' }))).toEqual([200, 429])
  })
})

describe('rate-limit: tiers, cost and burst', () => {
  const tiered = {
    limit: { requests: 1, per: '1m' },
    key: 'subject',
    tiers: { claim: 'plan', limits: { free: { requests: 2, per: '1m' }, pro: { requests: 4, per: '1m' } } },
  }

  it('chooses the limit by a claim of the principal, falling back to limit', async () => {
    const app = policyApp(tiered)
    const user = (subject: string, claims: Record<string, unknown>) => as({ principal: { subject, claims } })
    expect(await statuses(app, 3, user('f', { plan: 'free' }))).toEqual([200, 200, 429])
    expect(await statuses(app, 5, user('p', { plan: 'pro' }))).toEqual([200, 200, 200, 200, 429])
    expect(await statuses(app, 2, user('x', { plan: 'enterprise' }))).toEqual([200, 429])
    expect(await statuses(app, 2, user('n', {}))).toEqual([200, 429])
    const res = await app.request('/', user('p2', { plan: 'pro' }))
    expect(res.headers.get('ratelimit-policy')).toBe('"rate";q=4;w=60')
  })

  it('reads a tier claim by dotted path', async () => {
    const app = policyApp({ ...tiered, tiers: { ...tiered.tiers, claim: 'billing.plan' } })
    expect(await statuses(app, 5, as({ principal: { subject: 'p', claims: { billing: { plan: 'pro' } } } }))).toEqual([200, 200, 200, 200, 429])
  })

  it('charges the configured cost per method', async () => {
    const app = policyApp({ limit: { requests: 10, per: '1m' }, key: 'ip', cost: { methods: { post: 4, OPTIONS: 0 } } })
    const post = await app.request('/', { method: 'POST' })
    expect(post.headers.get('ratelimit-remaining')).toBe('6')
    expect((await app.request('/', { method: 'OPTIONS' })).headers.get('ratelimit-remaining')).toBe('6')
    expect((await app.request('/')).headers.get('ratelimit-remaining')).toBe('5')
    expect((await app.request('/', { method: 'POST' })).status).toBe(200) // 9 used
    expect((await app.request('/', { method: 'POST' })).status).toBe(429) // would be 13
  })

  it('charges body size by Content-Length on top of the method, and a chunked body its maximum', async () => {
    const app = policyApp({ limit: { requests: 20, per: '1m' }, key: 'ip', cost: { methods: { POST: 2 }, body: { perBytes: 1000, maxUnits: 5 } } })
    const remaining = async (init: RequestInit) => (await app.request('/', init)).headers.get('ratelimit-remaining')
    // In-process requests carry no Content-Length of their own: set it as a client would.
    const sized = (n: number): RequestInit => ({ method: 'POST', body: 'x'.repeat(n), headers: { 'content-length': String(n) } })
    expect(await remaining(sized(2500))).toBe('15') // 2 + ceil(2500 / 1000) = 5
    expect(await remaining(sized(100_000))).toBe('8') // 2 + at most 5
    const chunked = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('tiny')), c.close()) })
    expect(await remaining({ method: 'POST', body: chunked, headers: { 'transfer-encoding': 'chunked' }, duplex: 'half' } as RequestInit)).toBe('1') // 2 + 5
    expect(await remaining({ method: 'GET' })).toBe('0') // 1, no body
  })

  it('allows a burst above the sustained limit, then refuses until a bucket comes back', async () => {
    // sustained 2 per 300ms; burst of 2 extra, refilling every max(300ms, 2 x 300ms / 2) = 300ms
    const app = policyApp({ limit: { requests: 2, per: '300ms', burst: 2 }, key: 'ip' })
    const first = await statuses(app, 5)
    expect(first).toEqual([200, 200, 200, 200, 429])
    await sleep(350)
    expect(await statuses(app, 5)).toEqual([200, 200, 200, 200, 429])
  })

  it('keeps the burst bucket longer than the window when burst exceeds requests', async () => {
    // sustained 1 per 200ms; burst 2 refills every 2 x 200ms / 1 = 400ms
    const app = policyApp({ limit: { requests: 1, per: '200ms', burst: 2 }, key: 'ip' })
    expect(await statuses(app, 4)).toEqual([200, 200, 200, 429])
    await sleep(230) // sustained window back, burst bucket still spent
    expect(await statuses(app, 2)).toEqual([200, 429])
  })
})

describe('rate-limit: store failures', () => {
  it.each([
    ['an Error', new Error('store down')],
    ['a non-Error', 'store down'],
  ])('answers 503 UNAVAILABLE when the store rejects with %s', async (_, rejection) => {
    const app = policyApp({ limit: { requests: 5, per: '1m' }, key: 'ip' })
    vi.spyOn(MemoryCounter.prototype, 'consume').mockRejectedValue(rejection)
    const res = await app.request('/')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE', detail: 'rate limit store unavailable' })
  })

  it('answers 503 UNAVAILABLE when a synchronous counter throws', async () => {
    const app = policyApp({ limit: { requests: 5, per: '1m' }, key: 'ip' })
    vi.spyOn(MemoryCounter.prototype, 'consume').mockImplementation(() => {
      throw new Error('store down')
    })
    const res = await app.request('/')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE' })
  })
})

describe('rate-limit: response headers', () => {
  it('sets them on an immutable response too (re-wrapped only then)', async () => {
    const app = new Hono<GatewayEnv>()
    app.use('*', shellFields)
    app.use('*', async (c, next) => {
      c.set('remoteAddress', '192.0.2.1')
      await next()
    })
    app.use('*', rateLimit.create(rateLimit.options.parse({ limit: { requests: 5, per: '1m' }, key: 'ip' }), testInit('rl')))
    app.get('*', () => Response.redirect('http://example.test/next', 302))
    const res = await app.request('/')
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('http://example.test/next')
    expect(res.headers.get('ratelimit-remaining')).toBe('4')
  })

  const DRAFT = ['ratelimit-policy', 'ratelimit']
  const LEGACY = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']
  it.each([
    ['both', [...DRAFT, ...LEGACY]],
    ['draft', DRAFT],
    ['legacy', LEGACY],
    ['none', []],
  ] as const)('sends only the chosen set (headers: %s), on admitted and refused answers; a refusal keeps Retry-After', async (set, names) => {
    const app = policyApp({ limit: { requests: 1, per: '1m' }, key: 'ip', headers: set })
    const present = (res: Response) => [...DRAFT, ...LEGACY].filter((name) => res.headers.has(name))
    const admitted = await app.request('/')
    expect(admitted.status).toBe(200)
    expect(present(admitted)).toEqual(names)
    const refused = await app.request('/')
    expect(refused.status).toBe(429)
    expect(present(refused)).toEqual(names)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    if (set === 'legacy') expect(refused.headers.get('ratelimit-remaining')).toBe('0')
    if (set === 'draft') expect(refused.headers.get('ratelimit')).toMatch(/^"rate";r=0;t=\d+$/)
  })

  it('refuses an unknown header set with the choices', () => {
    const parsed = rateLimit.options.safeParse({ limit: { requests: 1, per: '1m' }, key: 'ip', headers: 'ietf' })
    expect(parsed.success).toBe(false)
    expect(parsed.error?.issues[0]?.path).toEqual(['headers'])
    expect(parsed.error?.issues[0]?.message).toMatch(/both.*draft.*legacy.*none/)
  })
})

describe('rate-limit: quotas and api keys', () => {
  it('counts a quota on top of the rate, advertises both windows and reports the one with fewer left', async () => {
    const app = policyApp({ limit: { requests: 3, per: '1s', quota: { requests: 4, per: '1d' } }, key: 'ip' })
    const first = await app.request('/')
    expect(first.headers.get('ratelimit-policy')).toBe('"rate";q=3;w=1, "quota";q=4;w=86400')
    expect(first.headers.get('ratelimit-limit')).toBe('3') // rate: 2 left, quota: 3 left
    expect(first.headers.get('ratelimit-remaining')).toBe('2')
    expect(await statuses(app, 3)).toEqual([200, 200, 429]) // the rate refuses; refused requests do not eat the quota
    await sleep(1050)
    const last = await app.request('/')
    expect(last.status).toBe(200)
    expect(last.headers.get('ratelimit')).toMatch(/^"quota";r=0;t=86(39\d|400)$/)
    const over = await app.request('/')
    expect(over.status).toBe(429)
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(86_000)
    expect(await over.json()).toMatchObject({ detail: 'quota of 4 requests exceeded', 'violated-policies': ['quota'] })
  })

  it('keys by the id of the api key (key_id claim), so one subject with two keys has two buckets', async () => {
    const app = policyApp({ limit: { requests: 1, per: '1m' }, key: 'apikey' })
    const key = (id: string) => as({ ip: '198.51.100.8', principal: { subject: 'svc', claims: { key_id: id } } })
    expect(await statuses(app, 2, key('k1'))).toEqual([200, 429])
    expect(await statuses(app, 1, key('k2'))).toEqual([200])
    // a principal without a key id (a jwt) and no principal at all: per client ip
    expect(await statuses(app, 2, as({ ip: '198.51.100.9', principal: { subject: 'svc' } }))).toEqual([200, 429])
    expect(await statuses(app, 1, as({ ip: '198.51.100.9' }))).toEqual([429])
  })
})

describe('rate-limit: a redis store that cannot be reached', () => {
  // Port 9 is closed: the shared connection is never ready, so every operation fails at once.
  const store = { redis: { url: 'redis://127.0.0.1:9/0' } }
  const limit = { requests: 2, per: '1m' }
  afterAll(() => closeRedisConnections())

  it('counts in the in-memory insurance by default (local), logging once', async () => {
    const init = testInit('edge')
    const app = policyApp({ limit, key: 'ip', store }, init)
    const started = performance.now()
    expect(await statuses(app, 3)).toEqual([200, 200, 429])
    expect(performance.now() - started).toBeLessThan(1_000)
    expect((await app.request('/')).headers.get('ratelimit-policy')).toBe('"rate";q=2;w=60')
    expect(init.lines.filter((l) => l.msg === 'rate limit store unavailable')).toHaveLength(1)
    expect(init.metrics.render()).toContain('gatehouse_rate_limit_store_up{policy="edge"} 0')
  })

  it('keeps a monthly quota in the insurance (no timers: the whole 30 days)', async () => {
    const app = policyApp({ limit: { requests: 10, per: '1s', quota: { requests: 1, per: '30d' } }, key: 'ip', store })
    expect(await statuses(app, 1)).toEqual([200])
    await sleep(20)
    const res = await app.request('/')
    expect(res.status).toBe(429)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(29 * 86_400)
  })

  it('admits without headers when open', async () => {
    const app = policyApp({ limit, key: 'ip', store, onStoreFailure: 'open' })
    const res = await app.request('/')
    expect(await statuses(app, 3)).toEqual([200, 200, 200])
    expect(res.headers.get('x-upstream')).toBe('1')
    expect(res.headers.has('ratelimit-policy')).toBe(false)
  })

  it('answers 503 UNAVAILABLE with Retry-After when closed', async () => {
    const app = policyApp({ limit, key: 'ip', store, onStoreFailure: 'closed' })
    const res = await app.request('/')
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE', detail: 'rate limit store unavailable' })
  })
})
