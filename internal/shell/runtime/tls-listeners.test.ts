import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTestPki } from '../../../test/support/certs.ts'
import type { TestPki } from '../../../test/support/certs.ts'
import { UsageError } from '../flags.ts'
import { createNodeRuntime } from './node.ts'
import { readTlsFiles, readUpstreamTlsFiles, withListeners } from './tls-listeners.ts'

describe('TLS listener material', () => {
  let pki: TestPki
  beforeAll(async () => {
    pki = await makeTestPki()
    await writeFile(join(pki.dir, 'text.txt'), 'hello')
    await writeFile(join(pki.dir, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n')
  })
  afterAll(() => pki?.remove())

  const files = (over: Partial<Parameters<typeof readTlsFiles>[0]> = {}) => ({
    certPath: pki.server.certPath,
    keyPath: pki.server.keyPath,
    clientCaPath: pki.ca.certPath,
    clientCert: 'optional' as const,
    ...over,
  })

  it('reads a certificate, its key and a client CA bundle', async () => {
    const tls = await readTlsFiles(files())
    expect(tls).toMatchObject({ cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert, clientCert: 'optional' })
  })

  it.each([
    ['a missing file', { certPath: '/nonexistent/x.pem' }, '--tls-cert /nonexistent/x.pem: cannot read (ENOENT)'],
    ['a file that is not PEM', { keyPath: 'text.txt' }, 'text.txt: not a PEM file'],
    ['a garbage certificate', { certPath: 'garbage.pem' }, 'garbage.pem: not a valid certificate'],
    ['a certificate as the key', { keyPath: 'server.crt' }, 'server.crt: not a valid private key'],
    ["another certificate's key", { keyPath: 'cn-client.key' }, 'cn-client.key: not the key of --tls-cert'],
    ['a garbage client CA', { clientCaPath: 'garbage.pem' }, '--client-ca'],
  ])('refuses %s with a UsageError naming the flag', async (_, over, message) => {
    const inDir = Object.fromEntries(Object.entries(over).map(([k, v]) => [k, v.startsWith('/') ? v : join(pki.dir, v)]))
    const err = await readTlsFiles(files(inDir)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UsageError)
    expect((err as Error).message).toContain(message)
  })

  it('reads upstream material: certificate and key, CA alone, or all three', async () => {
    const all = await readUpstreamTlsFiles({ certPath: pki.node.certPath, keyPath: pki.node.keyPath, caPath: pki.ca.certPath })
    expect(all).toEqual({ cert: pki.node.cert, key: pki.node.key, ca: pki.ca.cert })
    expect(await readUpstreamTlsFiles({ certPath: undefined, keyPath: undefined, caPath: pki.ca.certPath })).toEqual({ cert: undefined, key: undefined, ca: pki.ca.cert })
  })

  it.each([
    ["another certificate's key", { keyPath: 'cn-client.key' }, '--upstream-key', 'not the key of --upstream-cert'],
    ['a garbage CA', { caPath: 'garbage.pem' }, '--upstream-ca', 'not a valid CA certificate'],
    ['a missing file', { certPath: 'missing.pem' }, '--upstream-cert', 'cannot read (ENOENT)'],
  ])('refuses upstream material with %s, naming the flag', async (_, over, flag, message) => {
    const paths = { certPath: pki.node.certPath, keyPath: pki.node.keyPath, caPath: pki.ca.certPath }
    const err = await readUpstreamTlsFiles({ ...paths, ...Object.fromEntries(Object.entries(over).map(([k, v]) => [k, join(pki.dir, v)])) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UsageError)
    expect((err as Error).message).toMatch(new RegExp(`^${flag} .*${message.replace(/[()]/g, '\\$&')}`))
  })
})

describe('withListeners', () => {
  it('is the runtime itself when there is nothing to add', () => {
    const runtime = createNodeRuntime()
    expect(withListeners(runtime, {})).toBe(runtime)
  })

  it('refuses a gRPC port on a runtime without an HTTP/2 ingress', () => {
    const runtime = { ...createNodeRuntime(), name: 'bun' as const, serveGrpc: undefined }
    expect(() => withListeners(runtime, { grpcPort: 0 })).toThrow(/--grpc-port needs the node runtime: bun has no HTTP\/2 server/)
  })

  it('opens the gRPC ingress beside the main listener and drains both', async () => {
    let grpcUrl = ''
    const runtime = withListeners(createNodeRuntime(), { grpcPort: 0, onGrpcListening: (url) => (grpcUrl = url) })
    const listener = await runtime.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('ok') })
    expect(grpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(await (await fetch(`http://127.0.0.1:${listener.port}/`)).text()).toBe('ok')
    await listener.drain(100)
    await expect(fetch(`http://127.0.0.1:${listener.port}/`)).rejects.toThrow()
  })
})
