import { createRollingCount } from './rolling.ts'

/**
 * A circuit breaker for one endpoint, on an injected clock (no timers: state is computed when
 * read). closed → open on `consecutiveFailures` failures in a row, or a failure rate of at least
 * `failureRate` over `windowMs` once `minRequests` were seen; open → half-open when the ejection
 * time is over; half-open lets `halfOpenProbes` requests through at a time: a success closes
 * the circuit, a failure opens it again. Outlier ejection: each ejection in a row lasts
 * `cooldownMs` × its rank (capped at `maxCooldownMs`); an endpoint that stayed closed for
 * `maxCooldownMs` has recovered and starts again from `cooldownMs`.
 */

export type BreakerState = 'closed' | 'open' | 'half_open'

export interface BreakerOptions {
  /** Failures in a row that open the circuit (default 5). */
  consecutiveFailures: number
  /** Failure ratio over the window that opens the circuit, 0 < r ≤ 1 (default 0.5). */
  failureRate: number
  /** Requests the window must hold before the rate counts (default 20). */
  minRequests: number
  /** Length of the error-rate window (default 10 s). */
  windowMs: number
  /** First ejection time (default 5 s). */
  cooldownMs: number
  /** Longest ejection time, and the healthy time after which ejections are forgotten (default 60 s). */
  maxCooldownMs: number
  /** Requests allowed at once while half-open (default 1). */
  halfOpenProbes: number
}

export const BREAKER_DEFAULTS: Readonly<BreakerOptions> = {
  consecutiveFailures: 5,
  failureRate: 0.5,
  minRequests: 20,
  windowMs: 10_000,
  cooldownMs: 5_000,
  maxCooldownMs: 60_000,
  halfOpenProbes: 1,
}

/** Defaults filled in; a TypeError names the first option out of range. */
export function resolveBreakerOptions(input: Partial<BreakerOptions> = {}): BreakerOptions {
  const o = { ...BREAKER_DEFAULTS, ...input }
  const positiveInt = ['consecutiveFailures', 'minRequests', 'halfOpenProbes'] as const
  for (const k of positiveInt) if (!Number.isInteger(o[k]) || o[k] < 1) throw new TypeError(`breaker.${k} must be an integer >= 1`)
  for (const k of ['windowMs', 'cooldownMs', 'maxCooldownMs'] as const) if (!(o[k] > 0)) throw new TypeError(`breaker.${k} must be > 0`)
  if (!(o.failureRate > 0 && o.failureRate <= 1)) throw new TypeError('breaker.failureRate must be in (0, 1]')
  if (o.maxCooldownMs < o.cooldownMs) throw new TypeError('breaker.maxCooldownMs must be >= breaker.cooldownMs')
  return o
}

/** The right to send one request; settle it exactly once (later calls are ignored). */
export interface BreakerPermit {
  success(): void
  failure(): void
  /** Neither: the caller gave up (canceled) before the endpoint could answer. */
  release(): void
}

export interface CircuitBreaker {
  readonly state: BreakerState
  /** Ejections in a row so far (0 once recovered). */
  readonly ejections: number
  /** Whether `acquire()` would give a permit now. */
  allows(): boolean
  acquire(): BreakerPermit | undefined
}

export function createBreaker(options: BreakerOptions, now: () => number): CircuitBreaker {
  const requests = createRollingCount(options.windowMs, now)
  const failures = createRollingCount(options.windowMs, now)
  let state: BreakerState = 'closed'
  let generation = 0 // bumped on every transition: outcomes of older permits are ignored
  let consecutive = 0
  let ejections = 0
  let openUntil = 0
  let closedAt = now()
  let probes = 0

  const transition = (to: BreakerState) => {
    state = to
    generation++
    consecutive = 0
    probes = 0
    requests.reset()
    failures.reset()
  }
  const open = () => {
    if (state === 'closed' && now() - closedAt >= options.maxCooldownMs) ejections = 0 // recovered
    ejections++
    openUntil = now() + Math.min(options.maxCooldownMs, options.cooldownMs * ejections)
    transition('open')
  }
  const current = (): BreakerState => {
    if (state === 'open' && now() >= openUntil) transition('half_open')
    return state
  }
  const allows = () => {
    const s = current()
    return s === 'closed' || (s === 'half_open' && probes < options.halfOpenProbes)
  }
  const onFailure = () => {
    if (state === 'half_open') return open()
    consecutive++
    requests.add()
    failures.add()
    const seen = requests.sum()
    if (consecutive >= options.consecutiveFailures || (seen >= options.minRequests && failures.sum() >= seen * options.failureRate)) open()
  }
  const onSuccess = () => {
    if (state === 'half_open') {
      transition('closed')
      closedAt = now()
      return
    }
    consecutive = 0
    requests.add()
  }

  const settle: Settle = (gen, outcome) => {
    if (gen !== generation) return
    if (state === 'half_open') probes--
    if (outcome === 'success') onSuccess()
    else if (outcome === 'failure') onFailure()
  }

  return {
    get state() {
      return current()
    },
    get ejections() {
      return ejections
    },
    allows,
    acquire() {
      if (!allows()) return undefined
      if (state === 'half_open') probes++
      return new Permit(settle, generation)
    },
  }
}

type Outcome = 'success' | 'failure' | 'release'
type Settle = (generation: number, outcome: Outcome) => void

/**
 * One request's permit; only its first outcome counts. A class, not closures: this runs per
 * request, and tsx (keepNames) wraps every named closure in a defineProperty call.
 */
class Permit implements BreakerPermit {
  #settled = false
  constructor(
    private readonly settle: Settle,
    private readonly generation: number,
  ) {}

  success(): void {
    this.#end('success')
  }
  failure(): void {
    this.#end('failure')
  }
  release(): void {
    this.#end('release')
  }

  #end(outcome: Outcome): void {
    if (this.#settled) return
    this.#settled = true
    this.settle(this.generation, outcome)
  }
}
