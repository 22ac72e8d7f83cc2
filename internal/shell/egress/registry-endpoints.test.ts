import { createClient, createRouterTransport } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { NodeRole, RegistryService } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { createRegistryService } from '../../metadata/registry.ts'
import { createRegistryEndpoints } from './registry-endpoints.ts'

async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

const ttl = { seconds: 60n, nanos: 0 }

describe('createRegistryEndpoints', () => {
  it('follows the registry: nodes of the role appear and leave, other roles are ignored', async () => {
    const registry = createClient(RegistryService, createRouterTransport(({ service }) => service(RegistryService, createRegistryService())))
    await registry.registerNode({ nodeId: 's1', role: NodeRole.STORAGE, address: 'http://127.0.0.1:7101', zone: 'a', ttl })
    await registry.registerNode({ nodeId: 'p1', role: NodeRole.PROCESSING, address: 'http://127.0.0.1:7102', ttl })
    const source = createRegistryEndpoints({ registry, role: NodeRole.STORAGE })
    const seen: string[][] = []
    source.subscribe((list) => seen.push(list.map((e) => e.url)))
    try {
      await eventually(() => source.current().length === 1)
      expect(source.current()).toEqual([{ url: 'http://127.0.0.1:7101', zone: 'a', labels: {} }])
      await registry.registerNode({ nodeId: 's2', role: NodeRole.STORAGE, address: 'http://127.0.0.1:7201', ttl })
      await eventually(() => source.current().length === 2)
      await registry.deregisterNode({ nodeId: 's1' })
      await eventually(() => source.current().length === 1)
      expect(source.current().map((e) => e.url)).toEqual(['http://127.0.0.1:7201'])
      expect(seen.length).toBeGreaterThanOrEqual(3)
    } finally {
      source.close()
    }
  })

  it('uses the initial endpoints while the registry knows no node of the role', async () => {
    const registry = createClient(RegistryService, createRouterTransport(({ service }) => service(RegistryService, createRegistryService())))
    const source = createRegistryEndpoints({ registry, role: NodeRole.STORAGE, initial: ['http://127.0.0.1:7101'] })
    try {
      expect(source.current().map((e) => e.url)).toEqual(['http://127.0.0.1:7101'])
      await registry.registerNode({ nodeId: 's9', role: NodeRole.STORAGE, address: 'http://127.0.0.1:7909', ttl })
      await eventually(() => source.current()[0]?.url === 'http://127.0.0.1:7909')
    } finally {
      source.close()
    }
  })

  it('keeps the last list and retries while the registry is unreachable', async () => {
    let up = false
    const errors: string[] = []
    const impl = createRegistryService()
    const registry = createClient(
      RegistryService,
      createRouterTransport(({ service }) =>
        service(RegistryService, {
          ...impl,
          watchNodes(req, ctx) {
            if (!up) throw new Error('down')
            return impl.watchNodes!(req, ctx)
          },
        }),
      ),
    )
    await registry.registerNode({ nodeId: 's1', role: NodeRole.STORAGE, address: 'http://127.0.0.1:7101', ttl })
    const source = createRegistryEndpoints({ registry, role: NodeRole.STORAGE, initial: ['http://127.0.0.1:1'], retryMs: 20, onError: (e) => errors.push(e.rawMessage) })
    try {
      await eventually(() => errors.length >= 2)
      expect(source.current().map((e) => e.url)).toEqual(['http://127.0.0.1:1'])
      up = true
      await eventually(() => source.current()[0]?.url === 'http://127.0.0.1:7101')
    } finally {
      source.close()
    }
  })
})
