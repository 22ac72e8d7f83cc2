import { createBalancer } from '../../../internal/shell/egress/balancer.ts'
import type { Balancer } from '../../../internal/shell/egress/balancer.ts'
import { createBreaker, resolveBreakerOptions } from '../../../internal/shell/egress/breaker.ts'
import type { BreakerOptions, CircuitBreaker } from '../../../internal/shell/egress/breaker.ts'
import type { Endpoint } from '../../../internal/shell/egress/discovery.ts'
import type { Service } from '../bundle/types.ts'

/**
 * The endpoints of one `http` service with the egress client's circuit breaker on each and its
 * balancer over them. One set per service per compiled bundle (a reload starts afresh), shared by
 * every route to the service; nothing here is created per request.
 */

export interface UpstreamEndpoint extends Endpoint {
  /** `http(s)://host:port`, what the HttpExchange takes. Same as `url`. */
  readonly origin: string
  readonly breaker: CircuitBreaker
}

export interface UpstreamEndpoints {
  readonly service: string
  readonly endpoints: readonly UpstreamEndpoint[]
  /**
   * The next endpoint whose breaker lets a request through, leaving out those in `tried`
   * (the endpoints this request already failed on); undefined when there is none.
   */
  pick(tried?: readonly UpstreamEndpoint[]): UpstreamEndpoint | undefined
}

export interface UpstreamEndpointsOptions {
  /** Breaker options over the egress client's defaults. */
  breaker?: Partial<BreakerOptions> | undefined
  /** Clock of the breakers; tests inject one. Default `Date.now`. */
  now?: (() => number) | undefined
}

export function createUpstreamEndpoints(service: Service, options: UpstreamEndpointsOptions = {}): UpstreamEndpoints {
  if (service.endpoints.length === 0) throw new TypeError(`service "${service.name}" has no endpoints`)
  const breakerOptions = resolveBreakerOptions(options.breaker)
  const now = options.now ?? Date.now
  const endpoints: readonly UpstreamEndpoint[] = service.endpoints.map((e) => ({
    url: e.url.origin,
    origin: e.url.origin,
    zone: e.zone,
    breaker: createBreaker(breakerOptions, now),
  }))
  // Round robin, as before breakers: no zone preference, and no in-flight counting (`begin()`,
  // a closure per request) since only least_request reads it; `random` is then never called.
  const balancer: Balancer = createBalancer({ policy: 'round_robin', zone: undefined, random: Math.random })

  return {
    service: service.name,
    endpoints,
    pick(tried) {
      // Hot path: every breaker allows a request and nothing was tried yet → the prebuilt list, no allocation.
      let usable = true
      for (const e of endpoints) {
        if (!e.breaker.allows()) {
          usable = false
          break
        }
      }
      const candidates = usable && (tried === undefined || tried.length === 0)
        ? endpoints
        : endpoints.filter((e) => e.breaker.allows() && !(tried?.includes(e) ?? false))
      // The balancer hands back one of the candidates it was given.
      return balancer.pick(candidates) as UpstreamEndpoint | undefined
    },
  }
}
