import { describe, expect, it } from 'vitest'
import type { ConnInfo } from '../../internal/shell/env.ts'
import { GatewayError } from '../../internal/shell/errors.ts'
import type { HttpExchange, UpstreamRequest } from '../../internal/shell/http-client.ts'
import { createShell } from '../../internal/shell/shell.ts'
import { createGateway } from './app.ts'
import { loadBundle } from './bundle/load.ts'
import type { GatewayVariables } from './env.ts'
import type { UpstreamEndpointsOptions } from './proxy/upstream-endpoints.ts'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'

const BUNDLE = `
services:
  items:
    endpoints:
      - url: http://items-a.internal:8081
      - url: http://items-b.internal:8082
  users:
    endpoints: [{ url: "https://users.internal" }]
    preserveHost: true
  slow:
    endpoints: [{ url: "http://slow.internal" }]
policies:
  first:
    type: headers
    request: { set: { x-chain: first } }
    response: { add: { x-trail: first } }
  second:
    type: headers
    request: { add: { x-chain: second }, remove: [x-debug] }
    response: { add: { x-trail: second }, remove: [x-internal] }
routes:
  - id: get-item
    match: { method: GET, path: "/v1/items/{id}" }
    http: items
  - id: create-item
    match: { method: POST, path: /v1/items }
    http: items
  - id: users
    match: { path: "/v1/users/{rest=**}" }
    http: users
  - id: slow
    match: { method: GET, path: /slow }
    timeout: 50ms
    http: slow
  - id: decorated
    match: { path: /decorated }
    policies: [first, second]
    http: items
`

/** What the fake upstream does with a request (a Response is handed back as its parts); the default answers 200 "ok". */
type Reply = (request: UpstreamRequest) => Response | Promise<Response>

const ok: Reply = () => new Response('ok')
const refuse = (origin: string): Reply => (req) => {
  if (req.origin.startsWith(origin)) throw new GatewayError('UNAVAILABLE', `connection refused by ${req.origin}`)
  return new Response('ok')
}
/** What a real client does when no headers arrive within `timeoutMs` (without waiting for it). */
const neverAnswers: Reply = (req) => {
  throw new GatewayError('TIMEOUT', `upstream did not answer within ${req.timeoutMs} ms`)
}
const urlOf = (req: UpstreamRequest) => req.origin + req.path

/** A shell + gateway on a fake upstream that records every exchange. */
async function edge(options: { bundle?: string | undefined; reply?: Reply; debugToken?: string; upstream?: UpstreamEndpointsOptions } = {}) {
  const lines: string[] = []
  const shell = createShell<GatewayVariables>({
    node: 'gateway',
    runtime: { name: 'node', version: 'x' },
    version: '0',
    sink: (line) => lines.push(line),
    ...(options.debugToken ? { debugToken: options.debugToken } : {}),
  })
  const params: (Readonly<Record<string, string>> | undefined)[] = []
  shell.app.use('*', async (c, next) => {
    await next()
    params.push(c.var.params)
  })
  const calls: UpstreamRequest[] = []
  const reply = options.reply ?? ok
  const http: HttpExchange = async (req) => {
    calls.push(req)
    const res = await reply(req)
    return { status: res.status, headers: new Headers(res.headers), body: res.body }
  }
  const gw = createGateway(shell, http, { upstream: options.upstream })
  if (options.bundle !== undefined) gw.apply(await loadBundle([{ path: 'b.yaml', text: options.bundle }]))
  shell.lifecycle.markReady()
  const request = (path: string, init?: RequestInit, conn: ConnInfo = { remoteAddress: '10.0.0.9' }) =>
    shell.app.request(`http://api.example.com${path}`, init, conn)
  const accessLines = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'status' in l)
  return { shell, gw, calls, params, request, accessLines }
}

describe('routing to the upstream', () => {
  it('sends the raw path and query to the endpoint origin, and decodes path params', async () => {
    const { calls, params, request } = await edge({ bundle: BUNDLE })
    const res = await request('/v1/items/a%20b%2Fc?q=x%26y&flag')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('ok')
    expect(calls.map((c) => [c.method, c.origin, c.path])).toEqual([['GET', 'http://items-a.internal:8081', '/v1/items/a%20b%2Fc?q=x%26y&flag']])
    expect(params).toEqual([{ id: 'a b/c' }])
  })

  it('passes the upstream status, headers and body through', async () => {
    const { request } = await edge({
      bundle: BUNDLE,
      reply: () => new Response('{"id":1}', { status: 201, headers: { 'content-type': 'application/json', etag: '"v1"' } }),
    })
    const res = await request('/v1/items/1')
    expect(res.status).toBe(201)
    expect(res.headers.get('etag')).toBe('"v1"')
    expect(await res.json()).toEqual({ id: 1 })
  })

  it('streams the request body upstream', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE })
    await request('/v1/items', { method: 'POST', body: 'payload' })
    expect(calls).toHaveLength(1)
    expect(calls[0]?.method).toBe('POST')
    expect(await new Response(calls[0]?.body as BodyInit | null).text()).toBe('payload')
  })

  it('labels the access log and metrics with the route id', async () => {
    const { shell, request, accessLines } = await edge({ bundle: BUNDLE })
    await request('/v1/items/1')
    expect(accessLines()).toEqual([expect.objectContaining({ routeId: 'get-item', status: 200, remote: '10.0.0.9' })])
    const metrics = await (await shell.app.request('/metrics')).text()
    expect(metrics).toContain('gatehouse_http_requests_total{route="get-item",class="2xx"} 1\n')
  })
})

describe('balancing and failover', () => {
  it('takes the endpoints of a service in turn', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE })
    for (const id of ['1', '2', '3']) await request(`/v1/items/${id}`)
    expect(calls.map(urlOf)).toEqual([
      'http://items-a.internal:8081/v1/items/1',
      'http://items-b.internal:8082/v1/items/2',
      'http://items-a.internal:8081/v1/items/3',
    ])
  })

  it('fails over to the next endpoint when a GET finds one unavailable', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE, reply: refuse('http://items-a.internal') })
    const res = await request('/v1/items/1')
    expect(res.status).toBe(200)
    expect(calls.map((c) => c.origin)).toEqual(['http://items-a.internal:8081', 'http://items-b.internal:8082'])
  })

  it('fails over a bodiless POST too', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE, reply: refuse('http://items-a.internal') })
    const res = await request('/v1/items', { method: 'POST' })
    expect(res.status).toBe(200)
    expect(calls).toHaveLength(2)
  })

  it('does not fail over a POST with a body, and answers 503 UNAVAILABLE', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE, reply: refuse('http://items-a.internal') })
    const res = await request('/v1/items', { method: 'POST', body: 'once only' })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE', detail: 'connection refused by http://items-a.internal:8081' })
    expect(calls).toHaveLength(1)
  })

  it('answers 503 UNAVAILABLE after every endpoint refused, trying each once', async () => {
    const { calls, request } = await edge({
      bundle: BUNDLE,
      reply: () => {
        throw new GatewayError('UNAVAILABLE', 'refused')
      },
    })
    const res = await request('/v1/items/1')
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(calls).toHaveLength(2)
  })

  it('passes an upstream 503 response through without failing over', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE, reply: () => new Response('busy', { status: 503 }) })
    const res = await request('/v1/items/1')
    expect(res.status).toBe(503)
    expect(await res.text()).toBe('busy')
    expect(calls).toHaveLength(1)
  })
})

/** A clock for the endpoint breakers (egress defaults: 5 failures in a row open, 5 s first cooldown). */
function manualClock() {
  let t = 1_000_000
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms
    },
  }
}

/** A fake upstream whose behaviour the test switches between requests. */
function switchable(initial: Reply) {
  let current = initial
  return {
    reply: ((req) => current(req)) satisfies Reply,
    set: (next: Reply) => {
      current = next
    },
  }
}

const refuseAll: Reply = (req) => {
  throw new GatewayError('UNAVAILABLE', `connection refused by ${req.origin}`)
}

describe('circuit breaker per endpoint', () => {
  it('opens the breaker of an endpoint after 5 refused connections in a row and sends GETs only to the healthy one', async () => {
    const clock = manualClock()
    const { calls, request } = await edge({ bundle: BUNDLE, reply: refuse('http://items-a.internal'), upstream: { now: clock.now } })
    // Round robin lands on items-a every other request; each time it refuses and the GET fails over.
    for (let i = 0; i < 10; i++) expect((await request(`/v1/items/${i}`)).status).toBe(200)
    expect(calls.filter((c) => c.origin === 'http://items-a.internal:8081')).toHaveLength(5)
    calls.length = 0
    for (let i = 0; i < 4; i++) expect((await request(`/v1/items/${i}`)).status).toBe(200)
    expect(calls.map((c) => c.origin)).toEqual(Array(4).fill('http://items-b.internal:8082'))
  })

  it('answers 503 UNAVAILABLE without calling the upstream once every breaker is open', async () => {
    const clock = manualClock()
    const { calls, request } = await edge({ bundle: BUNDLE, reply: refuseAll, upstream: { now: clock.now } })
    for (let i = 0; i < 5; i++) {
      const res = await request('/v1/items/1')
      expect(res.status).toBe(503)
      expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE', detail: expect.stringContaining('connection refused') })
    }
    expect(calls).toHaveLength(10) // both endpoints, 5 times each
    const res = await request('/v1/items/1')
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE', detail: 'upstream items has no healthy endpoint' })
    expect((await request('/v1/items', { method: 'POST', body: 'x' })).status).toBe(503)
    expect(calls).toHaveLength(10)
  })

  it('counts timeouts against the endpoint', async () => {
    const clock = manualClock()
    const { calls, request } = await edge({ bundle: BUNDLE, reply: neverAnswers, upstream: { now: clock.now } })
    for (let i = 0; i < 5; i++) expect((await request('/slow')).status).toBe(504)
    const res = await request('/slow')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ detail: 'upstream slow has no healthy endpoint' })
    expect(calls).toHaveLength(5)
  })

  it('lets one probe through after the cooldown; its success closes the breaker', async () => {
    const clock = manualClock()
    const upstream = switchable(refuseAll)
    const { calls, request } = await edge({ bundle: BUNDLE, reply: upstream.reply, upstream: { now: clock.now } })
    for (let i = 0; i < 5; i++) expect((await request('/v1/users/me')).status).toBe(503)
    expect(calls).toHaveLength(5)
    clock.advance(4_999)
    expect((await request('/v1/users/me')).status).toBe(503)
    expect(calls).toHaveLength(5) // still open

    clock.advance(1) // half-open: one probe at a time
    let answer: (res: Response) => void = () => {}
    upstream.set(() => new Promise<Response>((resolve) => (answer = resolve)))
    const probe = request('/v1/users/me')
    while (calls.length < 6) await new Promise((r) => setTimeout(r, 0))
    const meanwhile = await request('/v1/users/me')
    expect(meanwhile.status).toBe(503)
    expect(await meanwhile.json()).toMatchObject({ detail: 'upstream users has no healthy endpoint' })
    expect(calls).toHaveLength(6)
    answer(new Response('ok'))
    expect((await probe).status).toBe(200)

    // Closed again: it takes 5 failures in a row to open it (half-open, one would have).
    upstream.set(refuseAll)
    for (let i = 0; i < 5; i++) expect((await request('/v1/users/me')).status).toBe(503)
    expect(calls).toHaveLength(11)
    expect((await request('/v1/users/me')).status).toBe(503)
    expect(calls).toHaveLength(11) // the 2nd ejection
  })

  it('opens again at once when the probe fails, for twice as long', async () => {
    const clock = manualClock()
    const { calls, request } = await edge({ bundle: BUNDLE, reply: refuseAll, upstream: { now: clock.now } })
    for (let i = 0; i < 5; i++) await request('/v1/users/me')
    clock.advance(5_000)
    expect((await request('/v1/users/me')).status).toBe(503) // the probe, refused
    expect(calls).toHaveLength(6)
    clock.advance(9_999)
    await request('/v1/users/me')
    expect(calls).toHaveLength(6)
    clock.advance(1)
    await request('/v1/users/me')
    expect(calls).toHaveLength(7)
  })

  it('does not count an upstream 503 response against the endpoint', async () => {
    const clock = manualClock()
    const { calls, request } = await edge({ bundle: BUNDLE, reply: () => new Response('busy', { status: 503 }), upstream: { now: clock.now } })
    for (let i = 0; i < 20; i++) {
      const res = await request('/v1/items/1')
      expect(res.status).toBe(503)
      expect(await res.text()).toBe('busy')
    }
    expect(calls).toHaveLength(20)
    expect(calls.filter((c) => c.origin === 'http://items-a.internal:8081')).toHaveLength(10)
  })

  it('shares the breakers of a service between its routes, and a new bundle starts afresh', async () => {
    const clock = manualClock()
    const { gw, calls, request } = await edge({ bundle: BUNDLE, reply: refuseAll, upstream: { now: clock.now } })
    for (let i = 0; i < 5; i++) await request('/v1/items/1')
    expect(calls).toHaveLength(10)
    expect(await (await request('/decorated')).json()).toMatchObject({ detail: 'upstream items has no healthy endpoint' })
    expect(calls).toHaveLength(10)
    gw.apply(await loadBundle([{ path: 'b.yaml', text: BUNDLE }]))
    await request('/decorated')
    expect(calls).toHaveLength(12)
  })

  it('takes breaker options over the egress defaults', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE, reply: refuseAll, upstream: { breaker: { consecutiveFailures: 1 } } })
    await request('/v1/users/me')
    await request('/v1/users/me')
    expect(calls).toHaveLength(1)
  })
})

describe('forwarding headers', () => {
  it('appends x-forwarded-for, sets x-forwarded-proto/host, and sends our request id and traceparent', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE })
    const res = await request('/v1/items/1', {
      headers: {
        host: 'api.example.com',
        'x-forwarded-for': '203.0.113.7',
        'x-forwarded-proto': 'gopher',
        'x-request-id': 'rid-1',
        traceparent: `00-${TRACE}-${PARENT}-01`,
      },
    })
    const sent = calls[0]?.headers
    expect(sent?.get('x-forwarded-for')).toBe('203.0.113.7, 10.0.0.9')
    expect(sent?.get('x-forwarded-proto')).toBe('http')
    expect(sent?.get('x-forwarded-host')).toBe('api.example.com')
    expect(sent?.get('x-request-id')).toBe('rid-1')
    expect(res.headers.get('x-request-id')).toBe('rid-1')
    expect(sent?.get('traceparent')).toBe(res.headers.get('traceparent'))
    expect(sent?.get('traceparent')).toMatch(new RegExp(`^00-${TRACE}-(?!${PARENT})[0-9a-f]{16}-01$`))
  })

  it('starts x-forwarded-for with the peer and reports https from the listener', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE })
    await request('/v1/items/1', {}, { remoteAddress: '10.0.0.9', protocol: 'https' })
    expect(calls[0]?.headers.get('x-forwarded-for')).toBe('10.0.0.9')
    expect(calls[0]?.headers.get('x-forwarded-proto')).toBe('https')
  })

  it('sends a generated request id upstream when the client has none', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE })
    const res = await request('/v1/items/1')
    expect(calls[0]?.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(calls[0]?.headers.get('x-request-id')).toBe(res.headers.get('x-request-id'))
  })

  it('strips hop-by-hop headers from the request, including those connection lists', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE })
    await request('/v1/items/1', {
      headers: { connection: 'x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', te: 'trailers', upgrade: 'websocket', 'x-end': '2' },
    })
    const sent = calls[0]?.headers
    for (const name of ['connection', 'x-hop', 'keep-alive', 'te', 'upgrade']) expect(sent?.has(name), name).toBe(false)
    expect(sent?.get('x-end')).toBe('2')
  })

  it('strips hop-by-hop headers from the response', async () => {
    const { request } = await edge({
      bundle: BUNDLE,
      reply: () =>
        new Response('ok', { headers: { connection: 'keep-alive, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', 'x-end': '2' } }),
    })
    const res = await request('/v1/items/1')
    for (const name of ['connection', 'x-hop', 'keep-alive', 'transfer-encoding']) expect(res.headers.has(name), name).toBe(false)
    expect(res.headers.get('x-end')).toBe('2')
  })

  it('proxies a request whose connection header has empty list elements', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE })
    const res = await request('/v1/items/1', { headers: { connection: ', keep-alive, ' } })
    expect(res.status).toBe(200)
    expect(calls[0]?.headers.has('connection')).toBe(false)
  })

  it("drops the client's Host so the upstream gets the endpoint's", async () => {
    const { calls, request } = await edge({ bundle: BUNDLE })
    await request('/v1/items/1', { headers: { host: 'api.example.com' } })
    expect(calls[0]?.headers.has('host')).toBe(false)
  })

  it("sends the client's Host when the service has preserveHost", async () => {
    const { calls, request } = await edge({ bundle: BUNDLE })
    await request('/v1/users/me', { headers: { host: 'api.example.com' } })
    expect(calls.map(urlOf)).toEqual(['https://users.internal/v1/users/me'])
    expect(calls[0]?.headers.get('host')).toBe('api.example.com')
  })
})

describe('timeouts', () => {
  it("gives the exchange the route's timeout, else the service's, else 30 s", async () => {
    const { calls, request } = await edge({
      bundle: `
services:
  plain: { endpoints: [{ url: "http://plain.internal" }] }
  timed: { endpoints: [{ url: "http://timed.internal" }], timeout: 2s }
routes:
  - { id: route-timeout, match: { path: /route }, timeout: 50ms, http: timed }
  - { id: service-timeout, match: { path: /service }, http: timed }
  - { id: default-timeout, match: { path: /default }, http: plain }
`,
    })
    for (const path of ['/route', '/service', '/default']) await request(path)
    expect(calls.map((c) => c.timeoutMs)).toEqual([50, 2000, 30_000])
  })

  it('answers 504 TIMEOUT when the upstream sends no headers in time, without failing over', async () => {
    const { calls, request, accessLines } = await edge({ bundle: BUNDLE, reply: neverAnswers })
    const slow = await request('/slow')
    expect(slow.status).toBe(504)
    expect(slow.headers.get('content-type')).toBe('application/problem+json')
    expect(await slow.json()).toMatchObject({ code: 'TIMEOUT', detail: 'upstream did not answer within 50 ms' })
    expect(accessLines()).toEqual([expect.objectContaining({ routeId: 'slow', status: 504, error: 'TIMEOUT' })])

    const item = await request('/v1/items/1')
    expect(item.status).toBe(504)
    expect(calls.map((c) => c.origin)).toEqual(['http://slow.internal', 'http://items-a.internal:8081'])
  })
})

describe('requests no route takes', () => {
  it('answers 404 NOT_FOUND without calling any upstream', async () => {
    const { calls, request, accessLines } = await edge({ bundle: BUNDLE })
    const res = await request('/v2/nothing')
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ code: 'NOT_FOUND', requestId: res.headers.get('x-request-id') })
    expect(calls).toEqual([])
    expect(accessLines()).toEqual([expect.objectContaining({ routeId: '-', status: 404, error: 'NOT_FOUND' })])
  })

  it('answers 405 with allow when the path matches only other methods', async () => {
    const { calls, request } = await edge({ bundle: BUNDLE })
    const res = await request('/v1/items/1', { method: 'DELETE' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, HEAD') // GET implies HEAD
    expect(await res.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED' })
    expect(calls).toEqual([])
  })

  it.each(['/v1/items/%zz', '/v1/items/%4', '/v1/items/%C3%28'])('answers 400 INVALID_ARGUMENT for the bad escape in %s', async (path) => {
    const { calls, request } = await edge({ bundle: BUNDLE })
    const res = await request(path)
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(calls).toEqual([])
  })
})

describe('policies on a route', () => {
  it('edit the request upstream in route order and the response in reverse order', async () => {
    const { calls, request } = await edge({
      bundle: BUNDLE,
      reply: () => new Response('ok', { headers: { 'x-internal': 'node-7', 'x-trail': 'upstream' } }),
    })
    const res = await request('/decorated', { headers: { 'x-chain': 'client', 'x-debug': '1' } })
    expect(calls[0]?.headers.get('x-chain')).toBe('first, second')
    expect(calls[0]?.headers.has('x-debug')).toBe(false)
    expect(res.headers.get('x-trail')).toBe('upstream, second, first')
    expect(res.headers.has('x-internal')).toBe(false)
  })

  it('decorate an error response too', async () => {
    const { request } = await edge({ bundle: BUNDLE, reply: refuse('http://items-') })
    const res = await request('/decorated')
    expect(res.status).toBe(503)
    expect(res.headers.get('x-trail')).toBe('second, first')
    expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE' })
  })
})

describe('bundle swaps', () => {
  const bundleFor = (name: string) => `
services:
  ${name}:
    endpoints: [{ url: "http://${name}.internal" }]
policies:
  tag:
    type: headers
    response: { set: { x-bundle: ${name} } }
routes:
  - id: get-item
    match: { method: GET, path: "/v1/items/{id}" }
    policies: [tag]
    http: ${name}
`

  it('routes new requests by the new bundle while a request in flight finishes on the old one', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let reached!: () => void
    const upstreamReached = new Promise<void>((resolve) => (reached = resolve))
    const { gw, calls, request } = await edge({
      bundle: bundleFor('old'),
      reply: async (req) => {
        if (req.origin !== 'http://old.internal') return new Response('from new')
        reached()
        await gate
        return new Response('from old')
      },
    })

    const inFlight = request('/v1/items/1')
    await upstreamReached
    const next = await loadBundle([{ path: 'b.yaml', text: bundleFor('new') }])
    gw.apply(next)
    expect(gw.current?.bundle.hash).toBe(next.hash)

    const after = await request('/v1/items/2')
    expect(await after.text()).toBe('from new')
    expect(after.headers.get('x-bundle')).toBe('new')

    release()
    const before = await inFlight
    expect(await before.text()).toBe('from old')
    expect(before.headers.get('x-bundle')).toBe('old')
    expect(calls.map(urlOf)).toEqual(['http://old.internal/v1/items/1', 'http://new.internal/v1/items/2'])
  })
})

describe('before the first bundle', () => {
  it('is not ready, says why, and answers requests 503 UNAVAILABLE', async () => {
    const { shell, gw, calls, request } = await edge()
    let ready = await shell.app.request('/health/ready')
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ reasons: ['bundle: no valid policy bundle loaded'] })
    const res = await request('/v1/items/1')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE' })
    expect(calls).toEqual([])

    gw.apply(await loadBundle([{ path: 'b.yaml', text: BUNDLE }]))
    ready = await shell.app.request('/health/ready')
    expect(ready.status).toBe(200)
  })
})

describe('/debug/routes', () => {
  it('shows the current bundle hash and routes to a caller with the debug token', async () => {
    const { gw, shell } = await edge({ bundle: BUNDLE, debugToken: 'tok' })
    const res = await shell.app.request('/debug/routes', { headers: { authorization: 'Bearer tok' } })
    expect(res.status).toBe(200)
    const view = (await res.json()) as { hash: string; routes: { id: string; upstream: unknown }[] }
    expect(view.hash).toBe(gw.current?.bundle.hash)
    expect(view.routes.map((r) => r.id)).toEqual(['get-item', 'create-item', 'users', 'slow', 'decorated'])
    expect(view.routes[0]?.upstream).toEqual({ kind: 'http', service: 'items' })
  })
})

describe('route concurrency', () => {
  const LIMITED = `
services:
  items:
    endpoints: [{ url: "http://items.internal" }]
routes:
  - id: limited
    match: { path: /limited }
    concurrency: { limit: 1, queue: 1, maxWait: 10s }
    http: items
  - id: tight
    match: { path: /tight }
    concurrency: { limit: 1, maxWait: 5ms }
    http: items
  - id: open
    match: { path: /open }
    http: items
`
  /** An upstream that holds `/limited` requests open until the test answers them, in arrival order. */
  function heldUpstream() {
    const pending: ((res: Response) => void)[] = []
    let arrived = () => {}
    const reply: Reply = (req) => {
      if (!req.path.startsWith('/limited') && !req.path.startsWith('/tight')) return new Response('ok')
      const res = new Promise<Response>((resolve) => pending.push(resolve))
      arrived()
      return res
    }
    const nextArrival = () => new Promise<void>((resolve) => (arrived = resolve))
    const answer = (body: string) => pending.shift()?.(new Response(body))
    return { reply, nextArrival, answer, get waiting() { return pending.length } }
  }

  it('holds a route to its limit, queues first in first out, refuses past the queue, and leaves other routes alone', async () => {
    const upstream = heldUpstream()
    const { request, shell, accessLines } = await edge({ bundle: LIMITED, reply: upstream.reply })
    let arrival = upstream.nextArrival()
    const first = request('/limited?n=1')
    await arrival
    const second = request('/limited?n=2') // waits for the slot
    const refused = await request('/limited?n=3')
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(await refused.json()).toMatchObject({ code: 'OVERLOADED' })
    expect(accessLines().at(-1)).toMatchObject({ routeId: 'limited', status: 503, error: 'OVERLOADED' })

    expect((await request('/open')).status).toBe(200) // another route is not affected
    expect(upstream.waiting).toBe(1)

    arrival = upstream.nextArrival()
    upstream.answer('one')
    expect(await (await first).text()).toBe('one')
    await arrival
    upstream.answer('two')
    expect(await (await second).text()).toBe('two')
    const metrics = await (await shell.app.request('/metrics')).text()
    expect(metrics).toContain('gatehouse_admission_rejected_total{scope="route"} 1\n')
    expect(metrics).toContain('gatehouse_admission_in_flight{scope="route"} 0\n')
  })

  it('refuses a request that waited longer than the route allows', async () => {
    const upstream = heldUpstream()
    const bundle = LIMITED.replace('{ limit: 1, maxWait: 5ms }', '{ limit: 1, queue: 1, maxWait: 5ms }')
    const { request } = await edge({ bundle, reply: upstream.reply })
    const arrival = upstream.nextArrival()
    const first = request('/tight')
    await arrival
    const late = await request('/tight')
    expect(late.status).toBe(503)
    expect(await late.json()).toMatchObject({ code: 'OVERLOADED' })
    upstream.answer('ok')
    expect((await first).status).toBe(200)
  })

  it('gives each route its own slots', async () => {
    const upstream = heldUpstream()
    const { request } = await edge({ bundle: LIMITED, reply: upstream.reply })
    let arrival = upstream.nextArrival()
    const limited = request('/limited')
    await arrival
    arrival = upstream.nextArrival()
    const tight = request('/tight') // its own limit of 1 is free although /limited's is taken
    await arrival
    expect(upstream.waiting).toBe(2)
    upstream.answer('a')
    upstream.answer('b')
    expect((await Promise.all([limited, tight])).map((r) => r.status)).toEqual([200, 200])
  })
})
