import { Code, ConnectError } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { egressOver, failure } from './testing.ts'

const A = 'http://a.test:7001'
const B = 'http://b.test:7001'

async function collect(stream: AsyncIterable<{ nodes: { nodeId: string }[] }>) {
  const ids: string[] = []
  try {
    for await (const m of stream) ids.push(m.nodes[0]?.nodeId ?? '')
  } catch (e) {
    return { ids, error: ConnectError.from(e) }
  }
  return { ids, error: undefined }
}

describe('egress client: server streams', () => {
  it('retries a retry-safe server stream that fails before its first message', async () => {
    const { registry, node } = egressOver([A, B])
    node(A).mode = 'unavailable'
    const { ids, error } = await collect(registry.watchNodes({}))
    expect(error).toBeUndefined()
    expect(ids).toEqual([`${B}#0`, `${B}#1`, `${B}#2`])
    expect(node(A).calls).toEqual(['watchNodes'])
  })

  it('does not retry once the stream has delivered a message: the error reaches the caller', async () => {
    const { registry, node, cluster, transport } = egressOver([A, B])
    node(A).failStreamAfter = 1
    const { ids, error } = await collect(registry.watchNodes({}))
    expect(ids).toEqual([`${A}#0`])
    expect(error).toMatchObject({ code: Code.Unavailable, rawMessage: `${A} went away` })
    expect(cluster.total()).toBe(1)
    expect(transport.endpoints().every((e) => e.inFlight === 0)).toBe(true)
  })

  it('counts a stream as in flight until it ends', async () => {
    const { registry, transport } = egressOver([A])
    const it = registry.watchNodes({})[Symbol.asyncIterator]()
    await it.next()
    expect(transport.endpoints()[0]?.inFlight).toBe(1)
    while (!(await it.next()).done);
    expect(transport.endpoints()[0]?.inFlight).toBe(0)
  })

  it('carries the request id and the deadline on streams too', async () => {
    const { registry, node } = egressOver([A])
    await collect(registry.watchNodes({}, { timeoutMs: 2_000, headers: { 'x-request-id': 'r-7' } }))
    expect(node(A).headers[0]?.get('x-request-id')).toBe('r-7')
    expect(node(A).timeouts[0]).toBeLessThanOrEqual(2_000)
  })

  it('gives streams no default deadline', async () => {
    const { registry, node } = egressOver([A], { defaultTimeoutMs: 1_000 })
    await collect(registry.watchNodes({}))
    expect(node(A).timeouts[0]).toBeUndefined()
  })
})

describe('egress client: client streams', () => {
  async function* upload(chunks: number) {
    yield { content: { case: 'header' as const, value: { bucket: 'b', key: 'k' } } }
    for (let i = 0; i < chunks; i++) yield { content: { case: 'chunk' as const, value: new Uint8Array(10) } }
  }

  it('sends a client stream once, through the breaker and balancer, and never retries it', async () => {
    const { storage, node, transport } = egressOver([A, B])
    node(A).mode = 'unavailable'
    expect(await failure(storage.putObject(upload(3)))).toMatchObject({ code: Code.Unavailable })
    expect(node(B).calls).toEqual([])
    const res = await storage.putObject(upload(3)) // round robin: B
    expect(res.object).toMatchObject({ key: B, size: 30n })
    expect(transport.endpoints().every((e) => e.inFlight === 0)).toBe(true)
  })
})
