import { createHash } from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleFor, removeDir, startGateway, startOrigin, waitFor, writeBundle } from './harness.ts'
import type { GatewayProcess } from './harness.ts'
import { startRedis } from '../support/redis-server.ts'
import type { RedisServer } from '../support/redis-server.ts'

// Real redis-server, real gateway processes (Node), the demo origin. See
// gateway/src/policies/rate-limit/README.md for the semantics these tests pin down.

const { publicKey, privateKey } = await generateKeyPair('ES256')
const jwk = { ...(await exportJWK(publicKey)), kid: 'rl-1', alg: 'ES256' }
const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'rl-1' }).setIssuer('https://id.rl.test/').setAudience('edge').setExpirationTime('5m').sign(privateKey)

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
// Not *.yaml: every YAML file of the directory is a bundle file.
const API_KEYS = `keys:
  - { id: ci-a, sha256: ${sha256('key-a-0123456789')}, subject: ci-bot, scopes: [] }
  - { id: ci-b, sha256: ${sha256('key-b-0123456789')}, subject: ci-bot, scopes: [] }
`

const route = (id: string, path: string, policies: string[]) => `  - id: ${id}
    match: { method: GET, path: "${path}" }
    policies: [${policies.join(', ')}]
    http: origin
`
const redisStore = (url: string, extra = '') => `store: { redis: { url: "${url}"${extra} } }`

/** Statuses (and the responses) of `n` GETs, `concurrency` at a time, spread round-robin over `gateways`. */
async function burst(gateways: readonly GatewayProcess[], path: string, n: number, concurrency = 8, headers: Record<string, string> = {}) {
  const out: Response[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++
        const gw = gateways[i % gateways.length] as GatewayProcess
        const res = await fetch(`${gw.url}${path}`, { headers, signal: AbortSignal.timeout(5_000) })
        // Read now (frees the connection); keep a readable copy for the assertions.
        out.push(new Response(await res.text(), { status: res.status, headers: res.headers }))
      }
    }),
  )
  return out
}
const count = (responses: Response[], status: number) => responses.filter((r) => r.status === status).length
const metric = async (gw: GatewayProcess, series: string): Promise<number | undefined> => {
  const text = await (await fetch(`${gw.url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

/** The sum over the gateways of every series starting with `prefix`. */
const sumOf = async (gws: GatewayProcess[], prefix: string): Promise<number> => {
  let sum = 0
  for (const gw of gws) {
    const text = await (await fetch(`${gw.url}/metrics`)).text()
    for (const line of text.split('\n')) if (line.startsWith(prefix)) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

/** Every counted response carries both header formats, consistent with each other. */
function expectHeaders(res: Response, policy: string) {
  expect(res.headers.get('ratelimit-policy')).toBe(policy)
  const limit = res.headers.get('ratelimit-limit')
  const remaining = res.headers.get('ratelimit-remaining')
  const reset = res.headers.get('ratelimit-reset')
  expect(limit).toMatch(/^\d+$/)
  expect(remaining).toMatch(/^\d+$/)
  expect(reset).toMatch(/^\d+$/)
  // The draft field names the reported window's policy item, whose quota is the legacy limit.
  const item = /^"(rate|quota)";r=(\d+);t=(\d+)$/.exec(res.headers.get('ratelimit') ?? '')
  expect(item?.slice(2)).toEqual([remaining, reset])
  expect(policy).toContain(`"${item?.[1]}";q=${limit};`)
  if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  else expect(res.headers.has('retry-after')).toBe(false)
}

/** Sends one request per gateway on a warm-up route until its store answers (the connection is ready). */
async function warmUp(gateways: readonly GatewayProcess[]) {
  for (const gw of gateways)
    await waitFor('the redis connection to be ready', async () => {
      const res = await fetch(`${gw.url}/demo/echo/warm`)
      await res.arrayBuffer()
      return res.status === 200 && (await metric(gw, 'gatehouse_rate_limit_store_up{policy="warm"}')) === 1
    })
}

describe('rate-limit on a shared redis, two gateway processes (node and bun)', () => {
  let redis: RedisServer
  let origin: Awaited<ReturnType<typeof startOrigin>>
  let dir: string
  let gateways: GatewayProcess[] = []

  const policies = (url: string) => `policies:
  auth:
    type: jwt
    issuer: https://id.rl.test/
    audience: edge
    jwks: { keys: [${JSON.stringify(jwk)}] }
  warm:
    type: rate-limit
    key: ip
    limit: { requests: 1000000, per: 1s }
    ${redisStore(url)}
  global-20:
    type: rate-limit
    key: route
    limit: { requests: 20, per: 1m }
    ${redisStore(url)}
  by-plan:
    type: rate-limit
    key: subject
    limit: { requests: 1, per: 1m }
    tiers: { claim: plan, limits: { free: { requests: 2, per: 1m }, pro: { requests: 4, per: 1m, burst: 1 } } }
    ${redisStore(url)}
  machine-key:
    type: api-key
    keysFile: api-keys.txt
  per-key-3:
    type: rate-limit
    key: apikey
    limit: { requests: 3, per: 1m }
    ${redisStore(url)}
  daily-5:
    type: rate-limit
    key: header:x-client
    limit: { requests: 100, per: 1s, quota: { requests: 5, per: 1d } }
    ${redisStore(url, ', prefix: "e2e:"')}
`
  const routes = [
    route('warm', '/demo/echo/warm', ['warm']),
    route('shared', '/demo/echo/shared', ['global-20']),
    route('tiers', '/demo/echo/tiers', ['auth', 'by-plan']),
    route('quota', '/demo/echo/quota', ['daily-5']),
    route('keyed', '/demo/echo/keyed', ['machine-key', 'per-key-3']),
  ].join('')

  beforeAll(async () => {
    redis = await startRedis()
    origin = await startOrigin()
    dir = await writeBundle({ ...bundleFor(origin.url, routes, policies(redis.url)), 'api-keys.txt': API_KEYS })
    // Two runtimes on purpose: the counters are shared whatever runs the gateway.
    gateways = await Promise.all([startGateway('node', dir), startGateway('bun', dir)])
    await warmUp(gateways)
  })
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()))
    await origin?.drain(1000)
    await redis?.stop()
    if (dir) await removeDir(dir)
  })

  it('enforces one global limit across both processes (no slack while redis answers)', async () => {
    const responses = await burst(gateways, '/demo/echo/shared', 60, 12)
    expect(count(responses, 200)).toBe(20)
    expect(count(responses, 429)).toBe(40)
    for (const res of responses) expectHeaders(res, '"rate";q=20;w=60')
    const refused = responses.find((r) => r.status === 429) as Response
    expect(refused.headers.get('content-type')).toBe('application/problem+json')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(30)
    // Every request counted in Redis; the calls that carried them are counted too.
    const increments = await sumOf(gateways, 'gatehouse_rate_limit_redis_increments_total{')
    const calls = await sumOf(gateways, 'gatehouse_rate_limit_redis_calls_total{')
    expect(increments).toBeGreaterThanOrEqual(60)
    expect(calls).toBeGreaterThan(0)
    expect(calls).toBeLessThanOrEqual(increments) // fewer when requests arrived together (40-49 calls for 62 here)
  })

  it('chooses limits by a jwt claim, counted across both processes', async () => {
    const free = { authorization: `Bearer ${await token({ sub: 'fay', plan: 'free' })}` }
    const pro = { authorization: `Bearer ${await token({ sub: 'pat', plan: 'pro' })}` }
    const none = { authorization: `Bearer ${await token({ sub: 'noa' })}` }
    const statuses = async (headers: Record<string, string>, n: number) => {
      const out: number[] = []
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${(gateways[i % 2] as GatewayProcess).url}/demo/echo/tiers`, { headers })
        await res.arrayBuffer()
        out.push(res.status)
        if (res.status !== 401) expectHeaders(res, headers === pro ? '"rate";q=4;w=60' : headers === free ? '"rate";q=2;w=60' : '"rate";q=1;w=60')
      }
      return out
    }
    expect(await statuses(free, 3)).toEqual([200, 200, 429])
    expect(await statuses(pro, 6)).toEqual([200, 200, 200, 200, 200, 429]) // 4 + a burst of 1
    expect(await statuses(none, 2)).toEqual([200, 429])
  })

  it('keeps one bucket per api key (not per subject), counted across both processes', async () => {
    const a = await burst(gateways, '/demo/echo/keyed', 4, 1, { 'x-api-key': 'key-a-0123456789' })
    expect(a.map((r) => r.status)).toEqual([200, 200, 200, 429])
    for (const r of a) expectHeaders(r, '"rate";q=3;w=60')
    // The same subject's other key has its own bucket.
    const b = await burst(gateways, '/demo/echo/keyed', 1, 1, { 'x-api-key': 'key-b-0123456789' })
    expect(b.map((r) => r.status)).toEqual([200])
    expect((await burst(gateways, '/demo/echo/keyed', 1, 1, { 'x-api-key': 'wrong-key-0123456789' }))[0]?.status).toBe(401)
  })

  it('keeps a daily quota in redis across a gateway restart', async () => {
    const headers = { 'x-client': 'quota-e2e' }
    const first = await burst([gateways[0] as GatewayProcess], '/demo/echo/quota', 3, 1, headers)
    expect(first.map((r) => r.status)).toEqual([200, 200, 200])
    const last = first.at(-1) as Response
    expectHeaders(last, '"rate";q=100;w=1, "quota";q=5;w=86400')
    expect(last.headers.get('ratelimit-limit')).toBe('5') // the quota has fewer left than the rate
    expect(last.headers.get('ratelimit-remaining')).toBe('2')

    // Both processes go away; a fresh one finds the count in redis.
    await Promise.all(gateways.map((g) => g.stop()))
    gateways = [await startGateway('node', dir)]
    await warmUp(gateways)
    const after = await burst(gateways, '/demo/echo/quota', 3, 1, headers)
    expect(after.map((r) => r.status)).toEqual([200, 200, 429])
    const refused = after[2] as Response
    expectHeaders(refused, '"rate";q=100;w=1, "quota";q=5;w=86400')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(86_000)
    expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED', detail: 'quota of 5 requests exceeded' })
  })
})

describe('rate-limit when redis dies mid-run and comes back', () => {
  let redis: RedisServer
  let origin: Awaited<ReturnType<typeof startOrigin>>
  let dir: string
  let gw: GatewayProcess
  const MODES = ['local', 'open', 'closed'] as const

  beforeAll(async () => {
    redis = await startRedis()
    origin = await startOrigin()
    const policies = `policies:
  warm:
    type: rate-limit
    key: ip
    limit: { requests: 1000000, per: 1s }
    ${redisStore(redis.url)}
${MODES.map(
  (mode) => `  on-${mode}:
    type: rate-limit
    key: ip
    limit: { requests: 3, per: 1m }
    onStoreFailure: ${mode}
    ${redisStore(redis.url)}
`,
).join('')}`
    const routes = route('warm', '/demo/echo/warm', ['warm']) + MODES.map((m) => route(m, `/demo/echo/${m}`, [`on-${m}`])).join('')
    dir = await writeBundle(bundleFor(origin.url, routes, policies))
    gw = await startGateway('node', dir)
    await warmUp([gw])
  })
  afterAll(async () => {
    await gw?.stop()
    await origin?.drain(1000)
    await redis?.stop()
    if (dir) await removeDir(dir)
  })

  it('falls back per onStoreFailure at once, never a 500 or a hang, logs once, and recovers', async () => {
    for (const mode of MODES) {
      const before = await burst([gw], `/demo/echo/${mode}`, 2, 1)
      expect(before.map((r) => r.status)).toEqual([200, 200])
      expectHeaders(before[1] as Response, '"rate";q=3;w=60')
      expect((before[1] as Response).headers.get('ratelimit-remaining')).toBe('1')
    }

    // Load on every route while redis is killed under it.
    const loop = Promise.all(MODES.map((m) => burst([gw], `/demo/echo/${m}`, 150, 2)))
    await new Promise((r) => setTimeout(r, 50))
    await redis.kill()
    const during = await loop
    const started = performance.now()
    const after = await Promise.all(MODES.map((m) => burst([gw], `/demo/echo/${m}`, 5, 1)))
    expect(performance.now() - started).toBeLessThan(5_000) // decided at once (~50 ms here): no waiting on a dead store
    const [local, open, closed] = MODES.map((_, i) => [...(during[i] as Response[]), ...(after[i] as Response[])]) as Response[][]
    for (const responses of [local, open, closed]) for (const r of responses as Response[]) expect([200, 429, 503]).toContain(r.status)
    // local: at most the 1 left in redis, plus 3 from the in-memory insurance (counting from zero in this process).
    expect(count(local as Response[], 503)).toBe(0)
    expect(count(local as Response[], 200)).toBeLessThanOrEqual(4)
    expect((after[0] as Response[]).map((r) => r.status).join()).toMatch(/^(200,){0,3}(429,?)+$/)
    // open: everything admitted, without rate-limit headers once the store is gone.
    expect(count(open as Response[], 503)).toBe(0)
    expect((after[1] as Response[]).map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    expect((after[1] as Response[])[0]?.headers.has('ratelimit-policy')).toBe(false)
    // closed: 503 UNAVAILABLE with Retry-After.
    expect((after[2] as Response[]).map((r) => r.status)).toEqual([503, 503, 503, 503, 503])
    const shut = (after[2] as Response[])[0] as Response
    expect(shut.headers.get('retry-after')).toBe('1')
    expect(await shut.json()).toMatchObject({ code: 'UNAVAILABLE', detail: 'rate limit store unavailable' })
    for (const mode of MODES) expect(await metric(gw, `gatehouse_rate_limit_store_up{policy="on-${mode}"}`)).toBe(0)
    for (const mode of MODES) expect(await metric(gw, `gatehouse_rate_limit_store_failures_total{policy="on-${mode}"}`)).toBeGreaterThan(0)
    const downLines = await waitFor('one log line per policy', () => {
      const l = gw.lines.filter((l) => l.msg === 'rate limit store unavailable' && String(l.policy).startsWith('on-'))
      return l.length >= 3 && l
    })
    expect(downLines.map((l) => l.policy).sort()).toEqual(['on-closed', 'on-local', 'on-open'])
    expect(downLines.find((l) => l.policy === 'on-closed')).toMatchObject({ level: 'warn', onStoreFailure: 'closed', store: expect.stringContaining('redis://127.0.0.1:') })

    // Redis comes back (empty): every policy counts in it again.
    await redis.restart()
    for (const mode of MODES)
      await waitFor(`on-${mode} to recover`, async () => {
        const res = await fetch(`${gw.url}/demo/echo/${mode}`, { headers: { 'x-forwarded-for': 'ignored' } })
        await res.arrayBuffer()
        return (await metric(gw, `gatehouse_rate_limit_store_up{policy="on-${mode}"}`)) === 1
      })
    await waitFor('one recovery line per policy', () => gw.lines.filter((l) => l.msg === 'rate limit store recovered' && String(l.policy).startsWith('on-')).length >= 3)
    expect(gw.lines.filter((l) => l.msg === 'rate limit store unavailable' && String(l.policy).startsWith('on-'))).toHaveLength(3)
    const closedAgain = await fetch(`${gw.url}/demo/echo/closed`)
    expect([200, 429]).toContain(closedAgain.status)
    expectHeaders(closedAgain, '"rate";q=3;w=60')
  })

  it('decides within the command timeout when redis hangs (SIGSTOP), then recovers', async () => {
    const lines = () => gw.lines.filter((l) => l.policy === 'on-local')
    const seen = lines().length
    redis.pause()
    try {
      const started = performance.now()
      const responses = await burst([gw], '/demo/echo/local', 40, 2, { 'x-client': 'hang' })
      const elapsed = performance.now() - started
      for (const r of responses) expect([200, 429]).toContain(r.status)
      // One 250 ms command timeout, then skipped but for one probe per 500 ms: ~1 s here,
      // where waiting out the timeout on every request would take 40 / 2 x 250 ms = 5 s.
      expect(elapsed).toBeLessThan(3_500)
      await waitFor('the timeout to be logged once', () => lines().slice(seen).find((l) => l.msg === 'rate limit store unavailable'))
      expect(lines().slice(seen).find((l) => l.msg === 'rate limit store unavailable')).toMatchObject({ error: 'Command timed out' })
    } finally {
      redis.resume()
    }
    await waitFor('on-local to recover after the hang', async () => {
      await (await fetch(`${gw.url}/demo/echo/local`)).arrayBuffer()
      return lines().slice(seen).some((l) => l.msg === 'rate limit store recovered')
    })
    expect(lines().slice(seen).filter((l) => l.msg === 'rate limit store unavailable')).toHaveLength(1)
  })
})
