import { describe, expect, it } from 'vitest'
import { GatewayError } from './errors.ts'
import { PROMETHEUS_CONTENT_TYPE } from './metrics.ts'
import { createShell } from './shell.ts'
import type { ShellOptions } from './shell.ts'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A shell with three handlers: one that answers, one that fails with a GatewayError, one with a bug. */
function testShell(extra: Partial<ShellOptions> = {}) {
  const lines: string[] = []
  const shell = createShell({ node: 'test', runtime: { name: 'node', version: 'x' }, version: '0', sink: (line) => lines.push(line), ...extra })
  shell.app.get('/x', (c) => {
    c.set('routeId', 'r1')
    return c.text('ok')
  })
  shell.app.get('/limited', (c) => {
    c.set('routeId', 'r2')
    throw new GatewayError('RATE_LIMITED', 'slow down', { headers: { 'retry-after': '3' } })
  })
  shell.app.get('/bug', (c) => {
    c.set('routeId', 'r3')
    throw new Error('db password is hunter2')
  })
  const accessLines = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'status' in l)
  return { shell, lines, accessLines }
}

/** The value of one sample in the Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('health endpoints', () => {
  it('answers /health/live at once', async () => {
    const { shell } = testShell()
    const res = await shell.app.request('/health/live')
    expect(res.status).toBe(200)
  })

  it('is not ready before markReady, says why, is ready after, and not while draining', async () => {
    const { shell } = testShell()
    let res = await shell.app.request('/health/ready')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ ready: false, state: 'starting', reasons: ['node is starting'] })

    shell.lifecycle.markReady()
    res = await shell.app.request('/health/ready')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ ready: true, reasons: [] })

    shell.lifecycle.startDrain()
    res = await shell.app.request('/health/ready')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ ready: false, state: 'draining', reasons: ['node is draining'] })
  })

  it('includes the reasons of failing readiness checks', async () => {
    const { shell } = testShell()
    shell.lifecycle.markReady()
    shell.lifecycle.addCheck('bundle', () => 'no valid policy bundle loaded')
    const res = await shell.app.request('/health/ready')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ reasons: ['bundle: no valid policy bundle loaded'] })
  })
})

describe('/metrics', () => {
  it('serves Prometheus text with node info', async () => {
    const { shell } = testShell()
    const res = await shell.app.request('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE)
    const text = await res.text()
    expect(sample(text, 'gatehouse_node_info{node="test",runtime="node",runtime_version="x",version="0"}')).toBe(1)
  })

  it('counts requests by route and status class, and their latency by route', async () => {
    const { shell } = testShell()
    await shell.app.request('/x')
    await shell.app.request('/x')
    await shell.app.request('/limited')
    await shell.app.request('/bug')
    await shell.app.request('/nowhere')
    const text = await (await shell.app.request('/metrics')).text()
    expect(sample(text, 'gatehouse_http_requests_total{route="r1",class="2xx"}')).toBe(2)
    expect(sample(text, 'gatehouse_http_requests_total{route="r2",class="4xx"}')).toBe(1)
    expect(sample(text, 'gatehouse_http_requests_total{route="r3",class="5xx"}')).toBe(1)
    expect(sample(text, 'gatehouse_http_requests_total{route="-",class="4xx"}')).toBe(1)
    expect(sample(text, 'gatehouse_http_request_duration_seconds_count{route="r1"}')).toBe(2)
    expect(sample(text, 'gatehouse_http_requests_in_flight')).toBe(0)
  })
})

describe('request ids', () => {
  it('keeps a valid incoming x-request-id and echoes it', async () => {
    const { shell } = testShell()
    const res = await shell.app.request('/x', { headers: { 'x-request-id': 'client-42:a/b+c=' } })
    expect(res.headers.get('x-request-id')).toBe('client-42:a/b+c=')
  })

  it.each([
    ['bad characters', 'has space'],
    ['over 128 characters', 'a'.repeat(129)],
    ['empty', ''],
  ])('replaces an invalid one (%s) with a fresh id', async (_, incoming) => {
    const { shell } = testShell()
    const res = await shell.app.request('/x', { headers: { 'x-request-id': incoming } })
    expect(res.headers.get('x-request-id')).toMatch(UUID)
  })

  it('makes one when there is none, different per request', async () => {
    const { shell } = testShell()
    const a = (await shell.app.request('/x')).headers.get('x-request-id')
    const b = (await shell.app.request('/x')).headers.get('x-request-id')
    expect(a).toMatch(UUID)
    expect(b).toMatch(UUID)
    expect(a).not.toBe(b)
  })
})

describe('trace context', () => {
  it('continues an incoming trace with a new span id', async () => {
    const { shell } = testShell()
    const res = await shell.app.request('/x', { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } })
    const [, traceId, spanId, flags] = TRACEPARENT.exec(res.headers.get('traceparent') ?? '') ?? []
    expect(traceId).toBe(TRACE)
    expect(spanId).not.toBe(PARENT)
    expect(flags).toBe('01')
  })

  it('starts a new trace when the incoming traceparent is invalid or absent', async () => {
    const { shell } = testShell()
    const invalid = await shell.app.request('/x', { headers: { traceparent: `00-${'0'.repeat(32)}-${PARENT}-01` } })
    const absent = await shell.app.request('/x')
    for (const res of [invalid, absent]) {
      const [, traceId] = TRACEPARENT.exec(res.headers.get('traceparent') ?? '') ?? []
      expect(traceId).toMatch(/^[0-9a-f]{32}$/)
      expect(traceId).not.toBe('0'.repeat(32))
    }
  })
})

describe('access log', () => {
  it('writes one JSON line per request with its id, route, status and remote address', async () => {
    const { shell, accessLines } = testShell()
    const res = await shell.app.request('/x', { headers: { 'x-request-id': 'abc' } }, { remoteAddress: '10.0.0.9' })
    const [trace] = /-([0-9a-f]{32})-/.exec(res.headers.get('traceparent') ?? '') ?? []
    expect(accessLines()).toEqual([
      expect.objectContaining({
        requestId: 'abc',
        traceId: trace?.slice(1, -1),
        routeId: 'r1',
        method: 'GET',
        path: '/x',
        status: 200,
        remote: '10.0.0.9',
      }),
    ])
    expect(accessLines()[0]).not.toHaveProperty('error')
    expect(accessLines()[0]?.durationMs).toEqual(expect.any(Number))
  })

  it('records the error code of a failed request', async () => {
    const { shell, accessLines } = testShell()
    await shell.app.request('/limited')
    await shell.app.request('/bug')
    expect(accessLines()).toEqual([
      expect.objectContaining({ routeId: 'r2', status: 429, error: 'RATE_LIMITED' }),
      expect.objectContaining({ routeId: 'r3', status: 500, error: 'INTERNAL' }),
    ])
  })

  it('logs the unhandled error itself, with its stack, on a separate line', async () => {
    const { shell, lines } = testShell()
    const res = await shell.app.request('/bug')
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'error')
    expect(events).toEqual([
      expect.objectContaining({
        msg: 'unhandled error',
        requestId: res.headers.get('x-request-id'),
        err: expect.objectContaining({ message: 'db password is hunter2', stack: expect.any(String) }),
      }),
    ])
  })

  it('writes nothing when the access log is off', async () => {
    const { shell, lines } = testShell({ accessLog: false })
    await shell.app.request('/x')
    expect(lines).toEqual([])
  })
})

describe('error rendering', () => {
  it('renders a GatewayError as problem+json with its headers and the request id', async () => {
    const { shell } = testShell()
    const res = await shell.app.request('/limited', { headers: { 'x-request-id': 'rid-1' } })
    expect(res.status).toBe(429)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(res.headers.get('retry-after')).toBe('3')
    expect(res.headers.get('x-request-id')).toBe('rid-1')
    expect(await res.json()).toMatchObject({ code: 'RATE_LIMITED', detail: 'slow down', requestId: 'rid-1' })
  })

  it('renders a plain Error as 500 INTERNAL without its message', async () => {
    const { shell } = testShell()
    const res = await shell.app.request('/bug')
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(text).not.toContain('hunter2')
    expect(JSON.parse(text)).toMatchObject({ code: 'INTERNAL', detail: 'internal error', requestId: res.headers.get('x-request-id') })
  })

  it('answers an unknown path with a 404 problem', async () => {
    const { shell } = testShell()
    const res = await shell.app.request('/nowhere')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toMatchObject({ code: 'NOT_FOUND', requestId: res.headers.get('x-request-id') })
  })
})

describe('/debug views', () => {
  const withView = (debugToken?: string) => {
    const { shell } = testShell(debugToken === undefined ? {} : { debugToken })
    shell.addDebugView('routes', () => ({ routes: ['r1'] }))
    return shell
  }

  it('is 404 when no debug token is configured, whatever the caller sends', async () => {
    const res = await withView().app.request('/debug/routes', { headers: { authorization: 'Bearer ' } })
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' })
  })

  it('is 401 with a challenge for a missing or wrong token', async () => {
    const shell = withView('s3cret')
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 's3cret' }] as Record<string, string>[]) {
      const res = await shell.app.request('/debug/routes', { headers })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="debug"')
      expect(await res.json()).toMatchObject({ code: 'UNAUTHENTICATED' })
    }
  })

  it('serves the view as JSON with the right token', async () => {
    const res = await withView('s3cret').app.request('/debug/routes', { headers: { authorization: 'Bearer s3cret' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ routes: ['r1'] })
  })

  it('is 404 for a view nobody added, even with the right token', async () => {
    const res = await withView('s3cret').app.request('/debug/nope', { headers: { authorization: 'Bearer s3cret' } })
    expect(res.status).toBe(404)
  })
})

describe('draining', () => {
  it('asks clients to close the connection on every response', async () => {
    const { shell } = testShell()
    shell.lifecycle.markReady()
    expect((await shell.app.request('/x')).headers.get('connection')).toBeNull()
    shell.lifecycle.startDrain()
    const ok = await shell.app.request('/x')
    expect(ok.status).toBe(200)
    expect(ok.headers.get('connection')).toBe('close')
    expect((await shell.app.request('/limited')).headers.get('connection')).toBe('close')
  })
})

describe('process admission', () => {
  /** A shell whose `/hold/:name` handlers stay open until the test lets them go. */
  function heldShell(admission: NonNullable<ShellOptions['admission']>) {
    const { shell, accessLines } = testShell({ admission })
    const latches = new Map<string, { promise: Promise<void>; resolve: () => void }>()
    const latch = (key: string) => {
      let entry = latches.get(key)
      if (!entry) {
        let resolve = () => {}
        const promise = new Promise<void>((r) => (resolve = r))
        entry = { promise, resolve }
        latches.set(key, entry)
      }
      return entry
    }
    const entered: string[] = []
    shell.app.get('/hold/:name', async (c) => {
      const name = c.req.param('name')
      entered.push(name)
      latch(`in:${name}`).resolve()
      await latch(`out:${name}`).promise
      return c.text(name)
    })
    shell.lifecycle.markReady()
    // Read each answer whole, as a server writing it to the socket would: a slot is held until
    // the body has been sent, not just the headers.
    const hold = async (name: string) => {
      const res = await shell.app.request(`/hold/${name}`)
      return new Response(await res.arrayBuffer(), res)
    }
    const running = (name: string) => latch(`in:${name}`).promise
    const finish = (name: string) => latch(`out:${name}`).resolve()
    const metric = async (series: string) => sample(await (await shell.app.request('/metrics')).text(), series)
    return { shell, accessLines, entered, hold, running, finish, metric }
  }

  it('runs at most maxConcurrent requests; the next waits for a free slot', async () => {
    const s = heldShell({ maxConcurrent: 2, maxQueue: 4, maxWaitMs: 60_000 })
    const a = s.hold('a')
    const b = s.hold('b')
    await Promise.all([s.running('a'), s.running('b')])
    const c = s.hold('c')
    expect(s.entered).toEqual(['a', 'b'])
    expect(await s.metric('gatehouse_admission_in_flight{scope="process"}')).toBe(2)
    expect(await s.metric('gatehouse_admission_queued{scope="process"}')).toBe(1)
    s.finish('a')
    expect(await (await a).text()).toBe('a')
    await s.running('c')
    expect(s.entered).toEqual(['a', 'b', 'c'])
    s.finish('b')
    s.finish('c')
    expect((await Promise.all([b, c])).map((r) => r.status)).toEqual([200, 200])
    expect(await s.metric('gatehouse_admission_in_flight{scope="process"}')).toBe(0)
  })

  it('lets waiting requests in first in, first out', async () => {
    const s = heldShell({ maxConcurrent: 1, maxQueue: 3, maxWaitMs: 60_000 })
    const responses = [s.hold('a')]
    await s.running('a')
    for (const name of ['b', 'c', 'd']) responses.push(s.hold(name))
    for (const name of ['a', 'b', 'c']) {
      s.finish(name)
      await s.running(String.fromCharCode(name.charCodeAt(0) + 1))
    }
    s.finish('d')
    await Promise.all(responses)
    expect(s.entered).toEqual(['a', 'b', 'c', 'd'])
  })

  it('answers 503 OVERLOADED with Retry-After at once when the queue is full, and logs and counts it', async () => {
    const s = heldShell({ maxConcurrent: 1, maxQueue: 1, maxWaitMs: 60_000 })
    const a = s.hold('a')
    await s.running('a')
    const b = s.hold('b')
    const res = await s.hold('c')
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(res.headers.get('x-request-id')).toMatch(UUID)
    expect(await res.json()).toMatchObject({ code: 'OVERLOADED', status: 503 })
    expect(s.accessLines()).toEqual([expect.objectContaining({ path: '/hold/c', status: 503, error: 'OVERLOADED' })])
    expect(await s.metric('gatehouse_admission_rejected_total{scope="process"}')).toBe(1)
    s.finish('a')
    s.finish('b')
    expect((await Promise.all([a, b])).map((r) => r.status)).toEqual([200, 200])
  })

  it('answers 503 OVERLOADED when a request waited longer than maxWaitMs', async () => {
    const s = heldShell({ maxConcurrent: 1, maxQueue: 4, maxWaitMs: 5 })
    const a = s.hold('a')
    await s.running('a')
    const res = await s.hold('b')
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(await res.json()).toMatchObject({ code: 'OVERLOADED' })
    expect(s.entered).toEqual(['a'])
    s.finish('a')
    expect((await a).status).toBe(200)
  })

  it('never queues or rejects /health/*, /metrics or /debug/*', async () => {
    const s = heldShell({ maxConcurrent: 1, maxQueue: 0, maxWaitMs: 60_000 })
    const a = s.hold('a')
    await s.running('a')
    expect((await s.hold('b')).status).toBe(503)
    for (const path of ['/health/live', '/health/ready', '/metrics']) expect((await s.shell.app.request(path)).status).toBe(200)
    expect((await s.shell.app.request('/debug/nope')).status).toBe(404)
    s.finish('a')
    expect((await a).status).toBe(200)
  })

  it('is off unless configured', async () => {
    const { shell } = testShell()
    expect(await (await shell.app.request('/metrics')).text()).not.toContain('gatehouse_admission')
  })
})
