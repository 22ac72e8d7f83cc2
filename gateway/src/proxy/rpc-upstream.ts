import { createConnectTransport } from '@connectrpc/connect-node'
import { createEgressTransport, createStaticEndpoints, egressMetrics } from '../../../internal/shell/egress/index.ts'
import type { EgressTransport } from '../../../internal/shell/egress/index.ts'
import type { Registry } from '../../../internal/shell/metrics.ts'
import type { Service } from '../bundle/types.ts'
import type { UpstreamEndpointsOptions } from './upstream-endpoints.ts'

/**
 * The egress client over one service's endpoints, for `rpc` routes: balancing, a breaker per
 * endpoint, retries of idempotent methods within the deadline, NOT_LEADER redirects, request id
 * and trace headers — the same client every internal node uses. The Connect protocol with binary
 * messages over HTTP/1.1 (connect-node runs on Node, Bun and Deno; HTTP/1.1 carries client
 * streams too). One per service per compiled bundle.
 */
export function createRpcUpstream(service: Service, metrics: Registry, options: UpstreamEndpointsOptions = {}): EgressTransport {
  return createEgressTransport({
    name: service.name,
    endpoints: createStaticEndpoints(service.endpoints.map((e) => ({ url: e.url.origin, zone: e.zone }))),
    transportFor: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: true }),
    breaker: options.breaker,
    now: options.now,
    observer: egressMetrics(metrics),
  })
}

