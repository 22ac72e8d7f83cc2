import { Code } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { createRegistry } from '../metrics.ts'
import { egressMetrics } from './metrics.ts'
import { egressOver, failure } from './testing.ts'

const A = 'http://a.test:7001'
const B = 'http://b.test:7001'

describe('egress metrics', () => {
  it('count attempts by endpoint and outcome, retries and leader redirects', async () => {
    const registry = createRegistry()
    const { registry: nodes, metadata, node } = egressOver([A, B], { observer: egressMetrics(registry) })
    node(A).mode = 'unavailable'
    await nodes.listNodes({}) // A fails, retried on B
    node(A).mode = { notLeader: B }
    await metadata.putRecord({ key: 'k' }) // A says B leads: resent there
    node(B).mode = { code: Code.NotFound }
    await failure(metadata.getRecord({ key: 'k' }))
    const text = registry.render()
    const value = (labels: string) => Number(new RegExp(`^gatehouse_egress_attempts_total\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1])
    expect(value(`upstream="metadata",endpoint="${A}",outcome="unavailable"`)).toBe(2)
    expect(value(`upstream="metadata",endpoint="${B}",outcome="ok"`)).toBe(2)
    expect(value(`upstream="metadata",endpoint="${B}",outcome="not_found"`)).toBe(1)
    expect(text).toMatch(/^gatehouse_egress_retries_total\{upstream="metadata"\} 1$/m)
    expect(text).toMatch(/^gatehouse_egress_leader_redirects_total\{upstream="metadata"\} 1$/m)
  })
})
