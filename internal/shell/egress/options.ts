import type { Interceptor, Transport } from '@connectrpc/connect'
import { Code } from '@connectrpc/connect'
import type { BalancePolicy } from './balancer.ts'
import { resolveBreakerOptions } from './breaker.ts'
import type { BreakerOptions } from './breaker.ts'
import type { EndpointSource } from './discovery.ts'
import type { EgressObserver } from './metrics.ts'
import { resolveRetryOptions } from './retry.ts'
import type { RetryOptions } from './retry.ts'

export interface EgressOptions {
  /** The upstream's name ("storage"), for messages and the logical URL interceptors see. */
  name: string
  endpoints: EndpointSource
  /**
   * Builds the transport for one endpoint, called once per endpoint URL (cached), e.g.
   * `(baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1' })` (connect-node),
   * `createGrpcTransport({ baseUrl })`, or connect-web's `createConnectTransport({ baseUrl, fetch })`.
   */
  transportFor: (baseUrl: string) => Transport
  /** The caller's zone: endpoints there are preferred while one of them is usable. */
  zone?: string | undefined
  /** Default `least_request` (power of two choices). */
  balancer?: BalancePolicy
  retry?: Partial<RetryOptions>
  breaker?: Partial<BreakerOptions>
  /** Codes that count as an endpoint failure for its breaker (default unavailable, deadline_exceeded, internal, unknown, data_loss). */
  failureCodes?: readonly Code[]
  /** Deadline of a unary call whose caller gave none (default 30 s; 0 = none). Streams get no default. */
  defaultTimeoutMs?: number
  /** How long a leader learned from NOT_LEADER stays a (temporary) endpoint tried first (default 30 s). */
  leaderTtlMs?: number
  /** Run once per logical call (not per attempt), after the request id / trace headers are set. */
  interceptors?: readonly Interceptor[]
  /** Told of every attempt, retry and leader redirect (see `egressMetrics`); default: nobody. */
  observer?: EgressObserver | undefined
  /** ms since the epoch; injected in tests (breaker windows and cooldowns, budget, deadlines). */
  now?: () => number
  /** [0, 1); injected in tests (balancer draws, backoff jitter). */
  random?: () => number
}

export interface ResolvedEgressOptions {
  readonly name: string
  readonly endpoints: EndpointSource
  readonly transportFor: (baseUrl: string) => Transport
  readonly zone: string | undefined
  readonly balancer: BalancePolicy
  readonly retry: RetryOptions
  readonly breaker: BreakerOptions
  readonly failureCodes: readonly Code[]
  readonly defaultTimeoutMs: number
  readonly leaderTtlMs: number
  readonly interceptors: readonly Interceptor[]
  readonly observer: EgressObserver | undefined
  readonly now: () => number
  readonly random: () => number
}

export const DEFAULT_FAILURE_CODES: readonly Code[] = [Code.Unavailable, Code.DeadlineExceeded, Code.Internal, Code.Unknown, Code.DataLoss]

/** Validates once, at construction: a TypeError names the option (caller misuse, not a request failure). */
export function resolveEgressOptions(o: EgressOptions): ResolvedEgressOptions {
  if (!o.name) throw new TypeError('egress: "name" is required')
  if (typeof o.transportFor !== 'function') throw new TypeError('egress: "transportFor" must be a function')
  if (!o.endpoints || typeof o.endpoints.current !== 'function') throw new TypeError('egress: "endpoints" must be an EndpointSource')
  const balancer = o.balancer ?? 'least_request'
  if (balancer !== 'least_request' && balancer !== 'round_robin') throw new TypeError('egress: "balancer" must be least_request or round_robin')
  const defaultTimeoutMs = o.defaultTimeoutMs ?? 30_000
  if (!(defaultTimeoutMs >= 0)) throw new TypeError('egress: "defaultTimeoutMs" must be >= 0')
  const leaderTtlMs = o.leaderTtlMs ?? 30_000
  if (!(leaderTtlMs > 0)) throw new TypeError('egress: "leaderTtlMs" must be > 0')
  return {
    name: o.name,
    endpoints: o.endpoints,
    transportFor: o.transportFor,
    zone: o.zone || undefined,
    balancer,
    retry: resolveRetryOptions(o.retry),
    breaker: resolveBreakerOptions(o.breaker),
    failureCodes: [...(o.failureCodes ?? DEFAULT_FAILURE_CODES)],
    defaultTimeoutMs,
    leaderTtlMs,
    interceptors: [...(o.interceptors ?? [])],
    observer: o.observer,
    now: o.now ?? Date.now,
    random: o.random ?? Math.random,
  }
}
