import { ConnectError, createClient, createConnectRouter } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'
import { createFetchHandler } from '@connectrpc/connect/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MetadataService } from '../../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { makeTestPki } from '../../../test/support/certs.ts'
import type { TestPki } from '../../../test/support/certs.ts'
import { createEgressTransport } from '../egress/client.ts'
import { createStaticEndpoints } from '../egress/discovery.ts'
import type { ClientCertificate } from '../env.ts'
import { createNodeRuntime } from './node.ts'
import { createTlsTransportFor } from './tls-egress.ts'
import type { Listener } from './types.ts'

/** East-west mTLS on loopback: a peer node's TLS listener that requires client certificates. */
describe('egress over TLS, presenting the node certificate', () => {
  let pki: TestPki
  let peer: Listener
  let url: string
  const seen: (ClientCertificate | undefined)[] = []

  beforeAll(async () => {
    pki = await makeTestPki()
    const router = createConnectRouter()
    router.service(MetadataService, { getRecord: async (req) => ({ record: { key: req.key } }) })
    const handlers = new Map(router.handlers.map((h) => [h.requestPath, createFetchHandler(h)]))
    peer = await createNodeRuntime().serve({
      hostname: '127.0.0.1',
      port: 0,
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert, clientCert: 'required' },
      fetch: (request, info) => {
        seen.push(info.clientCertificate)
        return handlers.get(new URL(request.url).pathname)?.(request) ?? new Response(null, { status: 404 })
      },
    })
    url = `https://localhost:${peer.port}`
  })
  afterAll(async () => {
    await peer?.drain(100)
    await pki?.remove()
  })

  it('reaches a peer that requires client certificates, which sees our SPIFFE ID', async () => {
    const tls = createTlsTransportFor({ cert: pki.spiffeClient.cert, key: pki.spiffeClient.key, ca: pki.ca.cert })
    const transport = createEgressTransport({ name: 'metadata', endpoints: createStaticEndpoints([url]), transportFor: tls.transportFor })
    try {
      const client = createClient(MetadataService, transport)
      expect((await client.getRecord({ key: 'a' })).record?.key).toBe('a')
      expect((await client.getRecord({ key: 'b' })).record?.key).toBe('b')
      expect(seen.at(-1)).toMatchObject({ authorized: true, uris: ['spiffe://example.org/ns/acme/sa/billing'], subjectCN: 'billing' })
    } finally {
      await transport.close()
      tls.close()
    }
  })

  it.each([
    ['no client certificate', () => createConnectTransport({ baseUrl: url, httpVersion: '1.1', nodeOptions: { ca: pki.ca.cert } })],
    ['a certificate from another CA', () => createTlsTransportFor({ cert: pki.otherCaClient.cert, key: pki.otherCaClient.key, ca: pki.ca.cert }).transportFor(url)],
    ['an expired certificate', () => createTlsTransportFor({ cert: pki.expiredClient.cert, key: pki.expiredClient.key, ca: pki.ca.cert }).transportFor(url)],
  ])('is refused in the handshake with %s', async (_, transport) => {
    const before = seen.length
    const client = createClient(MetadataService, transport())
    // connect-node reports a failed handshake as internal or aborted, by where it broke
    await expect(client.getRecord({ key: 'a' }, { timeoutMs: 5000 })).rejects.toBeInstanceOf(ConnectError)
    expect(seen.length).toBe(before) // no request reached the peer
  })

  it('does not trust a peer whose server certificate is not from the given CA', async () => {
    const tls = createTlsTransportFor({ cert: pki.spiffeClient.cert, key: pki.spiffeClient.key, ca: pki.otherCaClient.cert })
    const client = createClient(MetadataService, tls.transportFor(url))
    await expect(client.getRecord({ key: 'a' }, { timeoutMs: 5000 })).rejects.toThrow(/self-signed certificate/)
    tls.close()
  })
})
