import { describe, expect, it } from 'vitest'
import { createBalancer, preferZone } from './balancer.ts'
import { egressOver, servedBy } from './testing.ts'

const A = 'http://a.test:7001'
const B = 'http://b.test:7001'
const C = 'http://c.test:7001'
const endpoints = [{ url: A, zone: 'z1' }, { url: B, zone: 'z2' }, { url: C, zone: 'z2' }]

/** Cycles through the given values, like a scripted Math.random. */
const script = (...values: number[]) => {
  let i = 0
  return () => values[i++ % values.length]!
}

describe('balancer', () => {
  it('round robin takes each candidate in turn', () => {
    const b = createBalancer({ policy: 'round_robin', zone: undefined, random: Math.random })
    expect([1, 2, 3, 4].map(() => b.pick(endpoints)?.url)).toEqual([A, B, C, A])
    expect(b.pick([])).toBeUndefined()
  })

  it('power of two choices draws two distinct candidates and takes the one with fewer requests in flight', () => {
    const b = createBalancer({ policy: 'least_request', zone: undefined, random: script(0, 0) }) // draws A, then B
    expect(b.pick(endpoints)?.url).toBe(A) // a tie goes to the first drawn
    const endA = b.begin(A)
    expect(b.inFlight(A)).toBe(1)
    expect(b.pick(endpoints)?.url).toBe(B)
    endA()
    endA() // idempotent
    expect(b.inFlight(A)).toBe(0)
    expect(b.pick(endpoints)?.url).toBe(A)
  })

  it('prefers the caller zone while it has candidates', () => {
    expect(preferZone(endpoints, 'z2').map((e) => e.url)).toEqual([B, C])
    expect(preferZone(endpoints, 'z9').map((e) => e.url)).toEqual([A, B, C])
    expect(preferZone(endpoints, undefined)).toBe(endpoints)
  })
})

describe('egress client: balancing', () => {
  it('least request sends new calls to the less-loaded endpoint', async () => {
    const { registry, node } = egressOver([A, B], { balancer: 'least_request' })
    let release = () => {}
    node(A).gate = new Promise<void>((resolve) => (release = resolve))
    const held = registry.listNodes({}) // random = 0 draws A first; a tie: A gets it and holds it
    await Promise.resolve()
    const served: (string | undefined)[] = []
    for (let i = 0; i < 8; i++) served.push(servedBy(await registry.listNodes({})))
    expect(served).toEqual(new Array(8).fill(B))
    release()
    expect(servedBy(await held)).toBe(A)
    expect(servedBy(await registry.listNodes({}))).toBe(A) // loads equal again
  })

  it('prefers the caller zone, and leaves it when its endpoints are ejected', async () => {
    const { registry, node } = egressOver(endpoints, { zone: 'z1', breaker: { consecutiveFailures: 2 } })
    const served: (string | undefined)[] = []
    for (let i = 0; i < 4; i++) served.push(servedBy(await registry.listNodes({})))
    expect(served).toEqual([A, A, A, A])
    node(A).mode = 'unavailable'
    served.length = 0
    for (let i = 0; i < 6; i++) served.push(servedBy(await registry.listNodes({})))
    expect(new Set(served)).toEqual(new Set([B, C])) // the retries went to the other zone; no error
    expect(node(A).calls).toHaveLength(4 + 2) // ejected after 2 failures
  })
})
