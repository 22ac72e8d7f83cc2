import { Code, ConnectError } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { egressCallOptions } from './correlation.ts'
import { egressOver, failure, manualClock, servedBy } from './testing.ts'

const A = 'http://a.test:7001'
const B = 'http://b.test:7001'
const C = 'http://c.test:7001'

describe('egress client: routing around failures', () => {
  it('routes idempotent calls around a dead endpoint with no client-visible error, and its breaker stops sending to it', async () => {
    const { registry, node, transport } = egressOver([A, B])
    node(A).mode = 'unavailable'
    const served: (string | undefined)[] = []
    for (let i = 0; i < 20; i++) served.push(servedBy(await registry.listNodes({})))
    for (let i = 0; i < 5; i++) await registry.registerNode({ nodeId: `n${i}`, address: 'http://x:1' }) // IDEMPOTENT
    expect(new Set(served)).toEqual(new Set([B]))
    // Round robin sends every other call to A until 5 consecutive failures open its circuit.
    expect(node(A).calls).toHaveLength(5)
    expect(node(B).calls).toHaveLength(25)
    expect(transport.endpoints().find((e) => e.url === A)?.state).toBe('open')
  })

  it('does not retry a method that is not retry-safe (PutRecord) when the request reached the node', async () => {
    const { metadata, node } = egressOver([A, B])
    node(A).mode = 'unavailable'
    const err = await failure(metadata.putRecord({ key: 'k' }))
    expect(err).toMatchObject({ code: Code.Unavailable, rawMessage: `${A} is down` })
    expect(node(A).calls).toEqual(['putRecord'])
    expect(node(B).calls).toEqual([])
    // The next call goes to B (round robin) and succeeds.
    expect(new TextDecoder().decode((await metadata.putRecord({ key: 'k' })).record?.value)).toBe(B)
  })

  it('retries any method when the failure proves nothing was sent (a refused connection), as UNAVAILABLE', async () => {
    const { metadata, node } = egressOver([A, B])
    node(A).mode = 'refused'
    const res = await metadata.putRecord({ key: 'k' })
    expect(new TextDecoder().decode(res.record?.value)).toBe(B)
    node(B).mode = 'refused'
    const err = await failure(metadata.putRecord({ key: 'k' }))
    expect(err.code).toBe(Code.Unavailable) // fetch's TypeError (`unknown`) reported as unavailable
  })

  it('opens the breaker after N failures, half-opens after the cooldown with one probe, closes on success', async () => {
    const clock = manualClock()
    const breaker = { consecutiveFailures: 3, cooldownMs: 1_000 }
    const { registry, node, transport } = egressOver([A, B], { now: clock.now, breaker })
    const state = () => transport.endpoints().find((e) => e.url === A)?.state
    node(A).mode = 'unavailable'
    for (let i = 0; i < 10; i++) await registry.listNodes({})
    expect(node(A).calls).toHaveLength(3)
    expect(state()).toBe('open')
    clock.advance(999)
    for (let i = 0; i < 4; i++) await registry.listNodes({})
    expect(node(A).calls).toHaveLength(3) // still ejected
    clock.advance(1)
    expect(state()).toBe('half_open')
    await registry.listNodes({}) // round robin: one of these two calls is A's probe; it fails,
    await registry.listNodes({}) // A opens again (for twice the cooldown), B serves both calls
    expect(node(A).calls).toHaveLength(4)
    expect(state()).toBe('open')
    expect(transport.endpoints().find((e) => e.url === A)?.ejections).toBe(2)
    node(A).mode = 'ok'
    clock.advance(1_999)
    expect(state()).toBe('open')
    clock.advance(1)
    const served = new Set<string | undefined>()
    for (let i = 0; i < 4; i++) served.add(servedBy(await registry.listNodes({})))
    expect(state()).toBe('closed')
    expect(served).toEqual(new Set([A, B]))
  })

  it('caps retries with the budget when every endpoint fails', async () => {
    const breaker = { consecutiveFailures: 1_000, minRequests: 1_000 } // keep every endpoint in play
    const retry = { maxAttempts: 5, budgetMinRetries: 5, budgetRatio: 0.2 }
    const { registry, node, cluster } = egressOver([A, B, C], { breaker, retry })
    for (const url of [A, B, C]) node(url).mode = 'unavailable'
    const codes = new Set<Code>()
    for (let i = 0; i < 50; i++) await registry.listNodes({}).catch((e: unknown) => codes.add(ConnectError.from(e).code))
    expect(codes).toEqual(new Set([Code.Unavailable]))
    // Without a budget: 50 × 5 = 250 attempts. With it: 50 calls + at most 5 + 20 % of 50 retries.
    expect(cluster.total()).toBeGreaterThanOrEqual(50 + 5)
    expect(cluster.total()).toBeLessThanOrEqual(50 + 5 + 10)
  })

  it('stops after maxAttempts', async () => {
    const { registry, node, cluster } = egressOver([A, B, C], { retry: { maxAttempts: 2 } })
    for (const url of [A, B, C]) node(url).mode = 'unavailable'
    await expect(registry.listNodes({})).rejects.toMatchObject({ code: Code.Unavailable })
    expect(cluster.total()).toBe(2)
  })
})

describe('egress client: headers and errors', () => {
  it('sends the request id and traceparent of the call, the same on every attempt', async () => {
    const { registry, node } = egressOver([A, B])
    node(A).mode = 'unavailable'
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    await registry.listNodes({}, egressCallOptions({ requestId: 'req-1', traceparent }))
    for (const h of [node(A).headers[0], node(B).headers[0]]) {
      expect(h?.get('x-request-id')).toBe('req-1')
      expect(h?.get('traceparent')).toBe(traceparent)
    }
  })

  it('keeps a request id the caller set as a header', async () => {
    const { registry, node } = egressOver([A])
    await registry.listNodes({}, { ...egressCallOptions({ requestId: 'from-ctx' }), headers: { 'x-request-id': 'explicit' } })
    expect(node(A).headers[0]?.get('x-request-id')).toBe('explicit')
  })

  it('fails with UNAVAILABLE when there is no endpoint, and CANCELED when the caller aborts', async () => {
    const { registry, discovery, node } = egressOver([A])
    const controller = new AbortController()
    node(A).delayMs = 10_000
    const pending = registry.listNodes({}, { signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: Code.Canceled })
    discovery.update([])
    await expect(registry.listNodes({})).rejects.toMatchObject({ code: Code.Unavailable, rawMessage: 'upstream "metadata": no endpoints' })
  })

  it('passes application errors through without retrying or counting them against the endpoint', async () => {
    const { transport, registry, node } = egressOver([A, B], { breaker: { consecutiveFailures: 1 } })
    node(A).mode = { code: Code.NotFound }
    await expect(registry.listNodes({})).rejects.toMatchObject({ code: Code.NotFound, rawMessage: `${A} says NotFound` })
    expect(node(B).calls).toEqual([])
    expect(transport.endpoints().map((e) => e.state)).toEqual(['closed', 'closed'])
  })
})
