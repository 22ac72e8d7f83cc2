import { request as httpRequest } from 'node:http'
import { connect, createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { RUNTIMES } from '../../internal/shell/runtime/launch.ts'
import { gatewayFixture, waitFor } from './harness.ts'

/** An upstream that accepts connections and resets them as soon as a request arrives. */
const resetter = createServer((socket) => socket.once('data', () => socket.resetAndDestroy()))
await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve))
afterAll(() => new Promise<void>((resolve) => resetter.close(() => resolve())))

const ROUTES = `  - id: get-item
    match: { method: GET, path: "/v1/items/{id}" }
    policies: [tag]
    http: origin
  - id: echo
    match: { path: "/demo/echo/{rest=**}" }
    http: origin
  - id: patient
    match: { method: GET, path: "/demo/delay/{ms}", headers: { x-patient: "*" } }
    timeout: 20s
    http: origin
  - id: slow
    match: { method: GET, path: "/demo/delay/{ms}" }
    timeout: 300ms
    http: origin
  - id: dead
    match: { path: /dead }
    http: dead
  - id: reset
    match: { path: /reset }
    http: resetter
`
const POLICIES = `  resetter:
    endpoints:
      - url: http://127.0.0.1:${(resetter.address() as AddressInfo).port}
policies:
  tag:
    type: headers
    response: { set: { x-served-by: gatehouse } }
`

/** Sends raw bytes on a fresh connection and returns what came back before the server closed or 2 s passed. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let answer = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => (answer += d))
    socket.on('error', (err) => (answer ? resolve(answer) : reject(err)))
    socket.on('close', () => resolve(answer))
    socket.setTimeout(2000, () => socket.destroy())
    socket.write(bytes)
  })
}

describe.each(RUNTIMES)('gateway on %s', (runtime) => {
  const f = gatewayFixture(runtime, ROUTES, POLICIES)

  it('routes by method and path template, applies the route policy, and is ready', async () => {
    const res = await fetch(`${f.gw.url}/v1/items/42`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id: '42', name: 'towel', price: 5 })
    expect(res.headers.get('x-served-by')).toBe('gatehouse')
    expect((await fetch(`${f.gw.url}/health/ready`)).status).toBe(200)
    expect((await fetch(`${f.gw.url}/health/live`)).status).toBe(200)
  })

  it('passes request id and trace context upstream and echoes them', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const res = await fetch(`${f.gw.url}/demo/echo/a%20b?x=1&x=2`, {
      headers: { 'x-request-id': 'req-abc.123', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    })
    const seen = (await res.json()) as { path: string; headers: Record<string, string> }
    expect(res.headers.get('x-request-id')).toBe('req-abc.123')
    expect(seen.headers['x-request-id']).toBe('req-abc.123')
    const [version, trace, span, flags] = (res.headers.get('traceparent') ?? '').split('-')
    expect([version, trace, flags]).toEqual(['00', traceId, '01'])
    expect(span).not.toBe('00f067aa0ba902b7') // our own span, child of the caller's
    expect(seen.headers.traceparent).toBe(res.headers.get('traceparent'))
    expect(seen.path).toBe('/demo/echo/a%20b')
  })

  it('makes a request id and a trace when the caller sent none or an invalid one', async () => {
    const res = await fetch(`${f.gw.url}/demo/echo/x`, { headers: { 'x-request-id': 'bad id with spaces', traceparent: 'junk' } })
    const seen = (await res.json()) as { headers: Record<string, string> }
    const id = res.headers.get('x-request-id')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(seen.headers['x-request-id']).toBe(id)
    expect(res.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
  })

  it('strips hop-by-hop headers and sets x-forwarded-*', async () => {
    // fetch cannot send Connection headers; a raw request can.
    const answer = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${f.gw.url}/demo/echo/h`, {
        headers: { connection: 'keep-alive, x-secret', 'x-secret': 'nope', 'keep-alive': 'timeout=5', 'x-kept': 'yes', te: 'trailers' },
      })
      req.on('response', (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body))
      })
      req.on('error', reject)
      req.end()
    })
    const headers = (JSON.parse(answer) as { headers: Record<string, string> }).headers
    expect(headers['x-kept']).toBe('yes')
    expect(headers['x-secret']).toBeUndefined()
    expect(headers['keep-alive']).toBeUndefined()
    expect(headers.te).toBeUndefined()
    expect(headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(headers['x-forwarded-proto']).toBe('http')
    expect(headers['x-forwarded-host']).toBe(new URL(f.gw.url).host)
  })

  it('answers HEAD on a GET route with the headers and no body', async () => {
    const res = await fetch(`${f.gw.url}/v1/items/42`, { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.text()).toBe('')
  })

  it('answers an unknown route with 404 problem+json and a wrong method with 405 + Allow', async () => {
    const res = await fetch(`${f.gw.url}/nowhere`, { headers: { 'x-request-id': 'r404' } })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toMatchObject({ status: 404, code: 'NOT_FOUND', requestId: 'r404' })
    const wrong = await fetch(`${f.gw.url}/v1/items/1`, { method: 'DELETE' })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('GET, HEAD')
  })

  it('answers 503 UNAVAILABLE when the upstream refuses connections', async () => {
    const res = await fetch(`${f.gw.url}/dead`)
    expect(res.status).toBe(503)
    const problem = (await res.json()) as Record<string, unknown>
    expect(problem).toMatchObject({ code: 'UNAVAILABLE', status: 503 })
    expect(JSON.stringify(problem)).not.toMatch(/at .*\.ts|stack/)
  })

  it('answers 503 UNAVAILABLE when the upstream resets the connection', async () => {
    const res = await fetch(`${f.gw.url}/reset`)
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE', status: 503 })
    expect((await fetch(`${f.gw.url}/v1/items/1`)).status).toBe(200) // and keeps serving
  })

  it('answers 504 TIMEOUT when the upstream is slower than the route timeout', async () => {
    const started = Date.now()
    const res = await fetch(`${f.gw.url}/demo/delay/3000`)
    expect(res.status).toBe(504)
    expect(await res.json()).toMatchObject({ code: 'TIMEOUT' })
    expect(Date.now() - started).toBeLessThan(2500)
  })

  it('abandons the upstream request when the client goes away (499 CANCELED in the log)', async () => {
    const id = `gone-${runtime}`
    const started = Date.now()
    const aborted = await fetch(`${f.gw.url}/demo/delay/5000`, {
      headers: { 'x-request-id': id, 'x-patient': 'yes' },
      signal: AbortSignal.timeout(300),
    }).catch((err: Error) => err.name)
    expect(aborted).toBe('TimeoutError')
    const line = await waitFor('the access-log line of the abandoned request', () => f.gw.lines.find((l) => l.requestId === id), 4000)
    expect(line).toMatchObject({ status: 499, error: 'CANCELED', routeId: 'patient' })
    expect(Date.now() - started).toBeLessThan(4000) // not at the upstream's answer (5 s) or the route timeout (20 s)
  })

  it('refuses malformed requests with 4xx and keeps serving', async () => {
    expect((await fetch(`${f.gw.url}/v1/items/%zz`)).status).toBe(400)
    expect(await rawExchange(f.gw.url, 'GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/)
    // Just over the 32 KiB header limit, small enough to be read whole: the server then closes
    // with FIN, not RST, and the client always sees the status line.
    const huge = `GET /v1/items/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`
    expect(await rawExchange(f.gw.url, huge)).toMatch(/^HTTP\/1\.1 4(00|31)/)
    expect((await fetch(`${f.gw.url}/v1/items/1`)).status).toBe(200)
  })

  it('counts requests per route and status class in /metrics, with the bundle hash', async () => {
    await fetch(`${f.gw.url}/v1/items/1`)
    const text = await (await fetch(`${f.gw.url}/metrics`)).text()
    const count = Number(/^gatehouse_http_requests_total\{route="get-item",class="2xx"\} (\d+)$/m.exec(text)?.[1])
    expect(count).toBeGreaterThanOrEqual(2)
    expect(text).toMatch(/^gatehouse_http_requests_total\{route="-",class="4xx"\} \d+$/m)
    expect(text).toMatch(/^gatehouse_http_request_duration_seconds_bucket\{route="get-item",le="\+Inf"\} \d+$/m)
    expect(text).toMatch(/^gatehouse_http_requests_in_flight \d+$/m)
    expect(text).toMatch(/^gatehouse_bundle_info\{hash="[0-9a-f]{64}"\} 1$/m)
  })

  it('writes one JSON access-log line per request', async () => {
    await fetch(`${f.gw.url}/v1/items/2`, { headers: { 'x-request-id': `log-${runtime}` } })
    const line = await waitFor('the access log line', () => f.gw.lines.find((l) => l.requestId === `log-${runtime}`))
    expect(line).toMatchObject({ routeId: 'get-item', status: 200, method: 'GET', path: '/v1/items/2' })
    expect(typeof line.durationMs).toBe('number')
  })
})
