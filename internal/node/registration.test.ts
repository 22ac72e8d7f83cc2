import { createClient, createRouterTransport } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { NodeRole, RegistryService } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { createRegistryService } from '../metadata/registry.ts'
import { createLogger } from '../shell/access-log.ts'
import { startRegistration } from './registration.ts'

async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await check()
    if (value !== undefined) return value
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error('condition not met in time')
}

function setup() {
  const transport = createRouterTransport(({ service }) => service(RegistryService, createRegistryService()))
  const registry = createClient(RegistryService, transport)
  const lines: string[] = []
  const ids = async () => (await registry.listNodes({})).nodes.map((n) => n.nodeId)
  return { transport, registry, lines, ids, log: createLogger((l) => lines.push(l), 'storage') }
}

describe('startRegistration', () => {
  it('registers at once with role and address, and deregisters on stop', async () => {
    const { transport, registry, ids, log } = setup()
    const reg = startRegistration({ transport, nodeId: 'storage-a', role: NodeRole.STORAGE, address: 'http://127.0.0.1:7101', log })
    const node = await eventually(async () => (await registry.listNodes({ role: NodeRole.STORAGE })).nodes[0])
    expect(node).toMatchObject({ nodeId: 'storage-a', address: 'http://127.0.0.1:7101', role: NodeRole.STORAGE })
    await reg.stop()
    expect(await ids()).toEqual([])
  })

  it('registers again when a heartbeat finds its lease gone', async () => {
    const { transport, registry, ids, log } = setup()
    const reg = startRegistration({ transport, nodeId: 'storage-b', role: NodeRole.STORAGE, address: 'http://127.0.0.1:7102', ttlMs: 1000, log })
    await eventually(async () => ((await ids()).includes('storage-b') ? true : undefined))
    await registry.deregisterNode({ nodeId: 'storage-b' }) // e.g. the registry restarted and lost it
    expect(await ids()).toEqual([])
    await eventually(async () => ((await ids()).includes('storage-b') ? true : undefined))
    await reg.stop()
  })

  it('keeps retrying while the registry refuses, logging once', async () => {
    const { lines, log } = setup()
    const refusing = createRouterTransport(() => {}) // no registry there: every call is unimplemented
    const reg = startRegistration({ transport: refusing, nodeId: 'storage-c', role: NodeRole.STORAGE, address: 'http://127.0.0.1:7103', ttlMs: 300, log })
    await new Promise((r) => setTimeout(r, 350))
    await reg.stop()
    const warnings = lines.map((l) => JSON.parse(l) as { msg: string }).filter((l) => l.msg.startsWith('registry unreachable'))
    expect(warnings).toHaveLength(1)
  })
})
