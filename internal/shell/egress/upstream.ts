import type { Transport } from '@connectrpc/connect'
import { Code, ConnectError } from '@connectrpc/connect'
import { createBalancer } from './balancer.ts'
import type { Balancer } from './balancer.ts'
import { createBreaker } from './breaker.ts'
import type { BreakerPermit, BreakerState, CircuitBreaker } from './breaker.ts'
import { withTemporaryEndpoints } from './discovery.ts'
import type { Endpoint } from './discovery.ts'
import { createLeaderHint } from './not-leader.ts'
import type { ResolvedEgressOptions } from './options.ts'
import { createRetryBudget, markNotSent } from './retry.ts'
import type { RetryBudget } from './retry.ts'

/**
 * The state one egress client shares across its calls: the endpoints (discovery plus temporary
 * leaders), a breaker and a cached transport per endpoint URL, the in-flight counts, the retry
 * budget and the leader hint. State of endpoints that leave discovery is dropped.
 */

export interface Picked {
  readonly url: string
  readonly permit: BreakerPermit
}

export interface EndpointStatus {
  readonly url: string
  readonly zone: string | undefined
  readonly state: BreakerState
  readonly inFlight: number
  readonly ejections: number
}

export interface Upstream {
  readonly options: ResolvedEgressOptions
  readonly balancer: Balancer
  readonly budget: RetryBudget
  transport(url: string): Transport
  /** `preferred` if its breaker allows; else a balanced pick, avoiding `tried` while others are usable. */
  pick(tried: ReadonlySet<string>, preferred: string | undefined): Picked | undefined
  /** The leader hint, when set and not expired. */
  leader(): string | undefined
  /** Learned from NOT_LEADER: a temporary endpoint, and the hint for later calls. */
  followLeader(url: string): void
  /** UNAVAILABLE for a call that found no usable endpoint (nothing was sent). */
  noEndpoint(): ConnectError
  status(): EndpointStatus[]
  close(): void
}

export function createUpstream(options: ResolvedEgressOptions): Upstream {
  const { now } = options
  const endpoints = withTemporaryEndpoints(options.endpoints, now)
  const breakers = new Map<string, CircuitBreaker>()
  const transports = new Map<string, Transport>()
  const balancer = createBalancer({ policy: options.balancer, zone: options.zone, random: options.random })
  const hint = createLeaderHint(options.leaderTtlMs, now)

  const breaker = (url: string): CircuitBreaker => {
    let b = breakers.get(url)
    if (!b) breakers.set(url, (b = createBreaker(options.breaker, now)))
    return b
  }
  const prune = (list: readonly Endpoint[]) => {
    const live = new Set(list.map((e) => e.url))
    for (const url of breakers.keys()) if (!live.has(url) && balancer.inFlight(url) === 0) breakers.delete(url)
    for (const url of transports.keys()) if (!live.has(url)) transports.delete(url)
  }
  const unsubscribe = endpoints.subscribe(prune)

  return {
    options,
    balancer,
    budget: createRetryBudget(options.retry, now),
    transport(url) {
      let t = transports.get(url)
      if (!t) transports.set(url, (t = options.transportFor(url)))
      return t
    },
    pick(tried, preferred) {
      if (preferred !== undefined) {
        const permit = breaker(preferred).acquire()
        if (permit) return { url: preferred, permit }
      }
      const usable = endpoints.current().filter((e) => breaker(e.url).allows())
      const fresh = usable.filter((e) => !tried.has(e.url))
      const chosen = balancer.pick(fresh.length > 0 ? fresh : usable)
      const permit = chosen && breaker(chosen.url).acquire()
      return chosen && permit ? { url: chosen.url, permit } : undefined
    },
    leader: () => hint.get(),
    followLeader(url) {
      endpoints.add({ url }, options.leaderTtlMs)
      hint.set(url)
    },
    noEndpoint() {
      const n = endpoints.current().length
      const why = n === 0 ? 'no endpoints' : `${n === 1 ? 'its only endpoint is' : `all ${n} endpoints are`} ejected (circuit open)`
      return markNotSent(new ConnectError(`upstream "${options.name}": ${why}`, Code.Unavailable))
    },
    status: () =>
      endpoints.current().map((e) => {
        const b = breaker(e.url)
        return { url: e.url, zone: e.zone, state: b.state, inFlight: balancer.inFlight(e.url), ejections: b.ejections }
      }),
    close() {
      unsubscribe()
      endpoints.close()
    },
  }
}
