import { createServer } from 'node:https'
import type { Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RuntimeName } from '../../internal/shell/runtime/types.ts'
import { makeTestPki } from '../support/certs.ts'
import type { TestPki } from '../support/certs.ts'
import { bundleFor, removeDir, startGateway, writeBundle } from './harness.ts'
import type { GatewayProcess } from './harness.ts'

const ROUTES = `  - id: internal
    match: { path: "/internal/{rest=**}" }
    http: origin
`

/**
 * An internal HTTPS service that only talks to callers with a certificate from the test CA, and
 * answers with the identity (SAN URI) the caller presented.
 */
async function startMtlsOrigin(pki: TestPki): Promise<{ server: Server; url: string }> {
  const server = createServer({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate()
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ peer: peer.subjectaltname ?? null, path: req.url }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

describe('the gateway presents its own certificate to https upstreams (--upstream-cert/--upstream-key/--upstream-ca)', () => {
  let pki: TestPki
  let origin: Awaited<ReturnType<typeof startMtlsOrigin>>
  let dir: string
  const gateways: GatewayProcess[] = []

  beforeAll(async () => {
    pki = await makeTestPki()
    origin = await startMtlsOrigin(pki)
    dir = await writeBundle(bundleFor(origin.url, ROUTES))
  })
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()))
    await new Promise((resolve) => origin?.server.close(resolve))
    await Promise.all([dir && removeDir(dir), pki?.remove()])
  })

  const start = async (runtime: RuntimeName, args: string[]) => {
    const gw = await startGateway(runtime, dir, args)
    gateways.push(gw)
    return gw
  }
  const identity = () => ['--upstream-cert', pki.node.certPath, '--upstream-key', pki.node.keyPath, '--upstream-ca', pki.ca.certPath]

  it.each(['node', 'bun', 'deno'] as const)('on %s: the upstream sees the gateway node identity', async (runtime) => {
    const gw = await start(runtime, identity())
    const res = await fetch(`${gw.url}/internal/ping?x=1`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ peer: expect.stringContaining('URI:spiffe://example.org/node'), path: '/internal/ping?x=1' })
  })

  it('without a certificate the upstream refuses the handshake: 503 UNAVAILABLE problem+json, not a hang or a 500', async () => {
    const gw = await start('node', ['--upstream-ca', pki.ca.certPath])
    const res = await fetch(`${gw.url}/internal/ping`)
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE', detail: expect.stringMatching(/^upstream connection failed/) })
  })

  it('without the CA the upstream certificate is not trusted: 503 UNAVAILABLE', async () => {
    const gw = await start('node', ['--upstream-cert', pki.node.certPath, '--upstream-key', pki.node.keyPath])
    const res = await fetch(`${gw.url}/internal/ping`)
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE', detail: expect.stringMatching(/^upstream connection failed/) })
  })
})
