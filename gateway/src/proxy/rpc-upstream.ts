import { createEgressTransport, createExchangeTransport, createStaticEndpoints, egressMetrics } from '../../../internal/shell/egress/index.ts'
import type { EgressTransport } from '../../../internal/shell/egress/index.ts'
import type { HttpExchange } from '../../../internal/shell/http-client.ts'
import type { Registry } from '../../../internal/shell/metrics.ts'
import type { Service } from '../bundle/types.ts'
import type { UpstreamEndpointsOptions } from './upstream-endpoints.ts'

/**
 * The egress client over one service's endpoints, for `rpc` routes: balancing, a breaker per
 * endpoint, retries of idempotent methods within the deadline, NOT_LEADER redirects, request id
 * and trace headers — the same client every internal node uses. The Connect protocol with binary
 * messages over the runtime's HTTP exchange (the edge proxy's keep-alive pools; HTTP/1.1 carries
 * client streams too). One per service per compiled bundle.
 */
export function createRpcUpstream(service: Service, http: HttpExchange, metrics: Registry, options: UpstreamEndpointsOptions = {}): EgressTransport {
  return createEgressTransport({
    name: service.name,
    endpoints: createStaticEndpoints(service.endpoints.map((e) => ({ url: e.url.origin, zone: e.zone }))),
    transportFor: (baseUrl) => createExchangeTransport(http, baseUrl),
    breaker: options.breaker,
    now: options.now,
    observer: egressMetrics(metrics),
  })
}

