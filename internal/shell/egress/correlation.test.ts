import { createClient, createRouterTransport } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { RegistryService } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { callOptionsFromHandler, egressCallOptions, requestIdKey, traceparentKey } from './correlation.ts'
import { deadlineKey } from './deadline.ts'
import { egressOver } from './testing.ts'

const A = 'http://a.test:7001'
const OWN_SPAN = '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01'

describe('egressCallOptions', () => {
  it('puts the request id, trace context and deadline in context values', () => {
    const signal = new AbortController().signal
    const o = egressCallOptions({ requestId: 'r', traceparent: OWN_SPAN, deadline: 123, timeoutMs: 50, signal })
    expect(o.contextValues?.get(requestIdKey)).toBe('r')
    expect(o.contextValues?.get(traceparentKey)).toBe(OWN_SPAN)
    expect(o.contextValues?.get(deadlineKey)).toBe(123)
    expect(o).toMatchObject({ timeoutMs: 50, signal })
  })
})

describe('callOptionsFromHandler', () => {
  it('passes an incoming call’s request id, the node’s own span and the remaining deadline on to the next hop', async () => {
    const { registry: egress, node } = egressOver([A])
    // A "processing" node whose handler calls the next node through the egress client.
    const front = createRouterTransport((r) =>
      r.service(RegistryService, {
        listNodes: (_req, ctx) => egress.listNodes({}, callOptionsFromHandler(ctx, { traceparent: OWN_SPAN })),
      }),
    )
    const res = await createClient(RegistryService, front).listNodes({}, { timeoutMs: 300, headers: { 'x-request-id': 'req-42' } })
    expect(res.nodes[0]?.nodeId).toBe(A)
    expect(node(A).headers[0]?.get('x-request-id')).toBe('req-42')
    expect(node(A).headers[0]?.get('traceparent')).toBe(OWN_SPAN)
    expect(node(A).timeouts[0]).toBeGreaterThan(0)
    expect(node(A).timeouts[0]).toBeLessThanOrEqual(300)
  })
})
