import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createClient } from '@connectrpc/connect'
import { connectNodeAdapter, createConnectTransport } from '@connectrpc/connect-node'
import { createConnectTransport as createWebTransport } from '@connectrpc/connect-web'
import { afterEach, describe, expect, it } from 'vitest'
import { MetadataService } from '../../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { RegistryService } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { createEgressTransport } from './client.ts'
import { createStaticEndpoints } from './discovery.ts'
import { manualClock } from './testing.ts'

/** Real sockets on loopback: a node that is killed and restarted, behind connect-node and fetch transports. */

const servers = new Set<Server>()
afterEach(async () => {
  await Promise.all([...servers].map(stop))
})

async function start(name: string, port = 0): Promise<{ server: Server; url: string }> {
  const handler = connectNodeAdapter({
    routes: (r) => {
      r.service(RegistryService, { listNodes: async () => ({ nodes: [{ nodeId: name }] }) })
      r.service(MetadataService, { putRecord: async (req) => ({ record: { key: req.key, value: new TextEncoder().encode(name) } }) })
    },
  })
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  servers.add(server)
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

function stop(server: Server): Promise<void> {
  servers.delete(server)
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

describe.each([
  ['connect-node', (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: '1.1' })],
  ['connect-web (fetch)', (baseUrl: string) => createWebTransport({ baseUrl })],
])('egress client over %s on loopback', (_name, transportFor) => {
  it('keeps idempotent calls error-free while a node is killed and restarted, and sends to it again after the cooldown', async () => {
    const clock = manualClock()
    const a = await start('a')
    const b = await start('b')
    const transport = createEgressTransport({
      name: 'metadata',
      endpoints: createStaticEndpoints([a.url, b.url]),
      transportFor,
      balancer: 'round_robin',
      breaker: { consecutiveFailures: 2, cooldownMs: 1_000 },
      now: clock.now,
      random: () => 0,
    })
    const registry = createClient(RegistryService, transport)
    const served = async (n: number) => {
      const names: string[] = []
      for (let i = 0; i < n; i++) names.push((await registry.listNodes({})).nodes[0]?.nodeId ?? '')
      return names
    }
    expect(new Set(await served(4))).toEqual(new Set(['a', 'b']))
    await stop(a.server)
    expect(await served(10)).toEqual(new Array(10).fill('b')) // no client-visible error
    expect(transport.endpoints()[0]?.state).toBe('open')
    // A non-idempotent call is resent too: a refused connection proves nothing was sent.
    const metadata = createClient(MetadataService, transport)
    clock.advance(1_000) // half-open: the probe is refused, the call lands on b
    expect(new TextDecoder().decode((await metadata.putRecord({ key: 'k' })).record?.value)).toBe('b')
    await start('a', Number(new URL(a.url).port))
    clock.advance(2_000) // the second ejection lasts twice as long
    expect(new Set(await served(4))).toEqual(new Set(['a', 'b']))
    expect(transport.endpoints().map((e) => e.state)).toEqual(['closed', 'closed'])
  })
})
