import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { gatewayFixture, waitFor } from './harness.ts'

const POLICIES = `policies:
  waf:
    type: waf
  waf-detect:
    type: waf
    mode: detect
`
const ROUTES = `  - id: echo-block
    match: { path: "/demo/echo/block/{rest=**}" }
    policies: [waf]
    http: origin
  - id: echo-detect
    match: { path: "/demo/echo/detect/{rest=**}" }
    policies: [waf-detect]
    http: origin
  - id: upload
    match: { method: POST, path: /demo/upload }
    policies: [waf]
    http: origin
`

/** A raw HTTP/1.1 request (fetch refuses TRACE), answered with its status. */
function rawStatus(url: string, method: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/demo/echo/block/x`, { method, timeout: 5000 }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end()
  })
}

/** Writes raw bytes on a fresh connection and resolves with the status code of the first response line. */
function rawExchange(url: string, bytes: string): Promise<number> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(bytes))
    let head = ''
    socket.setTimeout(5000, () => socket.destroy(new Error('timed out')))
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      head += chunk
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head)
      if (m) {
        resolve(Number(m[1]))
        socket.destroy()
      }
    })
    socket.on('error', reject)
    socket.on('close', () => reject(new Error(`closed without a status line: ${JSON.stringify(head.slice(0, 80))}`)))
  })
}

describe('waf in front of a real upstream, on node', () => {
  const f = gatewayFixture('node', ROUTES, POLICIES)

  it('refuses an attack with 403 PERMISSION_DENIED naming the rules', async () => {
    const res = await fetch(`${f.gw.url}/demo/echo/block/x?q=${encodeURIComponent('<script>alert(document.cookie)</script>')}`)
    expect(res.status).toBe(403)
    const problem = (await res.json()) as { code: string; rules: number[] }
    expect(problem.code).toBe('PERMISSION_DENIED')
    expect(problem.rules).toContain(941110)
    expect(JSON.stringify(problem)).not.toContain('script')
  })

  it('refuses TRACE with 403, and TRACK and DEBUG with a 4xx (the runtime refuses them before any policy)', async () => {
    expect(await rawStatus(f.gw.url, 'TRACE')).toBe(403)
    for (const method of ['TRACK', 'DEBUG']) {
      const status = await rawStatus(f.gw.url, method)
      expect(status, method).toBeGreaterThanOrEqual(400)
      expect(status, method).toBeLessThan(500)
    }
  })

  it('answers Content-Length with Transfer-Encoding, and a request without Host, with a 4xx, never a 5xx', async () => {
    const status = await rawExchange(
      f.gw.url,
      'POST /demo/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    )
    expect(status).toBeGreaterThanOrEqual(400)
    expect(status).toBeLessThan(500)
    const noHost = await rawExchange(f.gw.url, 'GET /demo/echo/block/x HTTP/1.0\r\n\r\n')
    expect(noHost).toBeGreaterThanOrEqual(400)
    expect(noHost).toBeLessThan(500)
  })

  it('streams a benign body larger than the inspection bound to the upstream intact', async () => {
    const text = `{"note":"Conor O'Brien says: select the best option from the list -- thanks!","pad":"${'abcdefghij'.repeat(20_000)}"}`
    const bytes = new TextEncoder().encode(text)
    const res = await fetch(`${f.gw.url}/demo/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ bytes: bytes.length, sum: bytes.reduce((s, b) => s + b, 0) })
  })

  it('passes an attack in detect mode and writes the audit line', async () => {
    const requestId = `waf-e2e-${Date.now()}`
    const res = await fetch(`${f.gw.url}/demo/echo/detect/x?id=${encodeURIComponent("1' OR '1'='1")}`, { headers: { 'x-request-id': requestId } })
    expect(res.status).toBe(200)
    const line = await waitFor('the waf audit line', () => f.gw.lines.find((l) => l.msg === 'waf' && l.requestId === requestId), 5000)
    expect(line).toMatchObject({ level: 'warn', policy: 'waf-detect', routeId: 'echo-detect', action: 'detected' })
    expect((line.matches as { rule: number; target: string }[]).map((m) => m.target)).toContain('args.id')
  })
})
