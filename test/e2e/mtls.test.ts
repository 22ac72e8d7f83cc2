import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { connect as connectHttp2 } from 'node:http2'
import { request } from 'node:https'
import { connect as connectTcp } from 'node:net'
import { join } from 'node:path'
import { connect as connectTls } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runtimeCommand } from '../../internal/shell/runtime/launch.ts'
import type { RuntimeName } from '../../internal/shell/runtime/types.ts'
import { makeTestPki } from '../support/certs.ts'
import type { IssuedCert, TestPki } from '../support/certs.ts'
import { bundleFor, removeDir, ROOT, startGateway, startOrigin, waitFor, writeBundle } from './harness.ts'
import type { GatewayProcess } from './harness.ts'

const SPIFFE = 'spiffe://example.org/ns/acme/sa/billing'

const POLICIES = `
policies:
  peers:
    type: mtls
    tenantAfter: ns
    forward: { subject: x-client-id, tenant: x-client-tenant }
  maybe-peers:
    type: mtls
    mode: optional
    forward: { subject: x-client-id }`

const ROUTES = `  - id: secure
    match: { path: /demo/echo/secure }
    policies: [peers]
    http: origin
  - id: open
    match: { path: /demo/echo/open }
    policies: [maybe-peers]
    http: origin
`

interface Answer {
  status: number
  type: string | undefined
  body: Record<string, unknown>
}

/** One HTTPS request on a fresh connection (no session reuse), optionally with a client certificate. */
function get(port: number, path: string, ca: string, client?: IssuedCert, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', servername: 'localhost', port, path, ca, headers, agent: false, ...(client ? { cert: client.cert, key: client.key } : {}) },
      (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (d: string) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: JSON.parse(text) as Record<string, unknown> }))
      },
    )
    req.setTimeout(5000, () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

const echoed = (a: Answer) => (a.body.headers ?? {}) as Record<string, string>

describe('mtls: TLS listener with client certificates (Node)', () => {
  let pki: TestPki
  let origin: Awaited<ReturnType<typeof startOrigin>>
  let dir: string
  let gw: GatewayProcess
  let port: number

  beforeAll(async () => {
    ;[pki, origin] = await Promise.all([makeTestPki(), startOrigin()])
    dir = await writeBundle(bundleFor(origin.url, ROUTES, POLICIES))
    gw = await startGateway('node', dir, [
      '--tls-cert', pki.server.certPath, '--tls-key', pki.server.keyPath, '--client-ca', pki.ca.certPath, '--grpc-port', '0',
    ])
    port = Number(new URL(gw.url).port)
  })
  afterAll(async () => {
    await gw?.stop()
    await origin?.drain(1000)
    await Promise.all([dir && removeDir(dir), pki?.remove()])
  })

  it('a valid SPIFFE client passes; the principal goes upstream and spoofed copies are dropped', async () => {
    const res = await get(port, '/demo/echo/secure', pki.ca.cert, pki.spiffeClient, { 'x-client-id': 'spoofed' })
    expect(res.status).toBe(200)
    expect(echoed(res)).toMatchObject({ 'x-client-id': SPIFFE, 'x-client-tenant': 'acme', 'x-forwarded-proto': 'https' })
  })

  it('a client with only a subject CN passes as that CN', async () => {
    const res = await get(port, '/demo/echo/secure', pki.ca.cert, pki.cnClient)
    expect(res.status).toBe(200)
    expect(echoed(res)['x-client-id']).toBe('legacy-client')
    expect(echoed(res)['x-client-tenant']).toBeUndefined()
  })

  it.each([
    ['no certificate', undefined, 'a client certificate is required'],
    ['a certificate from another CA', 'otherCaClient', 'client certificate not issued by a trusted CA'],
    ['an expired certificate', 'expiredClient', 'client certificate expired'],
  ] as const)('a required route refuses %s: 401 problem+json', async (_, who, detail) => {
    const res = await get(port, '/demo/echo/secure', pki.ca.cert, who ? pki[who] : undefined)
    expect(res.status).toBe(401)
    expect(res.type).toBe('application/problem+json')
    expect(res.body).toMatchObject({ code: 'UNAUTHENTICATED', detail })
  })

  it('an optional route passes without a certificate (no identity upstream), refuses a bad one', async () => {
    const none = await get(port, '/demo/echo/open', pki.ca.cert, undefined, { 'x-client-id': 'spoofed' })
    expect(none.status).toBe(200)
    expect(echoed(none)['x-client-id']).toBeUndefined()
    expect((await get(port, '/demo/echo/open', pki.ca.cert, pki.spiffeClient)).status).toBe(200)
    expect((await get(port, '/demo/echo/open', pki.ca.cert, pki.expiredClient)).status).toBe(401)
  })

  it('the HTTP/2 (gRPC) port is TLS with the same client certificate handling', async () => {
    const line = await waitFor('the gRPC listener', () => gw.lines.find((l) => l.msg === 'grpc listening'))
    const ask = (client?: IssuedCert, grpc = false) =>
      new Promise<{ headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const session = connectHttp2(String(line.url), { ca: pki.ca.cert, servername: 'localhost', ...(client ? { cert: client.cert, key: client.key } : {}) })
        session.on('error', reject)
        const request = grpc ? { ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers' } : { ':method': 'GET' }
        const stream = session.request({ ...request, ':path': '/demo/echo/secure' })
        let headers: Record<string, unknown> = {}
        let body = ''
        stream.on('response', (h) => (headers = h))
        stream.setEncoding('utf8').on('data', (d: string) => (body += d))
        stream.on('end', () => {
          session.close()
          resolve({ headers, body })
        })
        stream.on('error', reject)
        stream.end(grpc ? Buffer.alloc(5) : undefined)
      })
    const ok = await ask(pki.spiffeClient)
    expect(ok.headers[':status']).toBe(200)
    expect((JSON.parse(ok.body) as { headers: Record<string, string> }).headers['x-client-id']).toBe(SPIFFE)
    expect((await ask()).headers[':status']).toBe(401)
    // A gRPC call without a certificate: the policy's refusal as a gRPC status, trailers-only.
    expect((await ask(undefined, true)).headers).toMatchObject({ 'grpc-status': '16', 'grpc-message': 'a client certificate is required' })
  })

  it('survives garbage: random bytes, cleartext HTTP and a client that hangs up mid-handshake', async () => {
    const poke = (bytes: string | Uint8Array) =>
      new Promise<void>((resolve) => {
        const socket = connectTcp(port, '127.0.0.1', () => socket.end(bytes))
        socket.on('error', () => resolve())
        socket.on('close', () => resolve())
        socket.resume()
      })
    await poke(new Uint8Array(512).map((_, i) => (i * 97) % 256))
    await poke('GET /demo/echo/secure HTTP/1.1\r\nhost: x\r\n\r\n')
    await new Promise<void>((resolve) => {
      const socket = connectTls({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.cert })
      socket.on('error', () => resolve())
      socket.on('secureConnect', () => socket.destroy())
      socket.on('close', () => resolve())
    })
    expect((await get(port, '/demo/echo/secure', pki.ca.cert, pki.spiffeClient)).status).toBe(200)
    expect(gw.child.exitCode).toBeNull()
  })
})

describe.each(['node', 'bun'] as const)('mtls: --client-cert required on %s refuses in the handshake', (runtime) => {
  let pki: TestPki
  let dir: string
  let gw: GatewayProcess

  beforeAll(async () => {
    pki = await makeTestPki()
    dir = await writeBundle(bundleFor('http://127.0.0.1:9', ''))
    gw = await startGateway(runtime, dir, [
      '--tls-cert', pki.server.certPath, '--tls-key', pki.server.keyPath, '--client-ca', pki.ca.certPath, '--client-cert', 'required',
    ])
  })
  afterAll(async () => {
    await gw?.stop()
    await Promise.all([dir && removeDir(dir), pki?.remove()])
  })

  it('serves a valid client; no certificate, another CA or an expired one never get an HTTP answer', async () => {
    const port = Number(new URL(gw.url).port)
    expect((await get(port, '/health/ready', pki.ca.cert, pki.spiffeClient)).status).toBe(200)
    for (const client of [undefined, pki.otherCaClient, pki.expiredClient]) {
      await expect(get(port, '/health/ready', pki.ca.cert, client)).rejects.toThrow()
    }
    expect((await get(port, '/health/ready', pki.ca.cert, pki.cnClient)).status).toBe(200)
  })
})

describe('mtls: bad TLS material is a startup error, not a crash', () => {
  let pki: TestPki
  beforeAll(async () => {
    pki = await makeTestPki()
    await writeFile(join(pki.dir, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n')
  })
  afterAll(() => pki?.remove())

  const run = (args: string[], runtime: RuntimeName = 'node') =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const entry = join(ROOT, 'gateway', 'runtime', `${runtime}.ts`)
      const [file, ...argv] = runtimeCommand(runtime, entry, ['--port', '0', '--policies', pki.dir, ...args]) as [string, ...string[]]
      const child = spawn(file, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      child.on('exit', (code) => {
        clearTimeout(timer)
        resolve({ code, stderr })
      })
    })

  // Every kind of bad material is covered by internal/shell/runtime/tls-listeners.test.ts; one proves the exit.
  it.concurrent.each([
    ['a garbage certificate', () => ['--tls-cert', join(pki.dir, 'garbage.pem'), '--tls-key', pki.server.keyPath], /--tls-cert .*garbage\.pem: not a valid certificate/],
  ])('%s: exit 2 with one line', async (_, args, message) => {
    const result = await run(args())
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toMatch(/\n\s+at /) // one line, no stack trace
  })

  it.concurrent.each([
    ['bun', 'optional', /Bun\.serve cannot hand client certificates to routes: use --client-cert required/],
    ['deno', 'required', /Deno\.serve does not ask for client certificates: use the node runtime/],
  ] as const)('%s with --client-cert %s: exit 1 saying what the runtime cannot do', async (runtime, mode, message) => {
    const args = ['--tls-cert', pki.server.certPath, '--tls-key', pki.server.keyPath, '--client-ca', pki.ca.certPath, '--client-cert', mode]
    const result = await run(args, runtime)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(message)
  })
})
