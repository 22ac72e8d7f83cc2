/**
 * A node's life: starting -> ready -> draining. Readiness is the state plus named checks
 * (e.g. "bundle": a valid policy bundle is loaded), so `/health/ready` can say why it is 503.
 */

export type NodeState = 'starting' | 'ready' | 'draining'

/** A readiness check: returns undefined when fine, or the reason the node is not ready. */
export type ReadinessCheck = () => string | undefined

export interface Readiness {
  readonly ready: boolean
  readonly state: NodeState
  /** Reasons for not being ready (empty when ready). */
  readonly reasons: readonly string[]
}

export interface Lifecycle {
  readonly state: NodeState
  /** Requests that have entered and not yet got their response headers. */
  readonly inFlight: number
  addCheck(name: string, check: ReadinessCheck): void
  readiness(): Readiness
  /** starting -> ready. A draining node never becomes ready again. */
  markReady(): void
  /** -> draining (idempotent). Readiness goes false at once. */
  startDrain(): void
  /** Counts a request in; call the returned function once when it is done. */
  enter(): () => void
}

export function createLifecycle(): Lifecycle {
  let state: NodeState = 'starting'
  let inFlight = 0
  const checks = new Map<string, ReadinessCheck>()
  return {
    get state() {
      return state
    },
    get inFlight() {
      return inFlight
    },
    addCheck(name, check) {
      checks.set(name, check)
    },
    readiness() {
      const reasons: string[] = []
      if (state !== 'ready') reasons.push(`node is ${state}`)
      for (const [name, check] of checks) {
        const reason = check()
        if (reason !== undefined) reasons.push(`${name}: ${reason}`)
      }
      return { ready: reasons.length === 0, state, reasons }
    },
    markReady() {
      if (state === 'starting') state = 'ready'
    },
    startDrain() {
      state = 'draining'
    },
    enter() {
      inFlight++
      let done = false
      return () => {
        if (!done) {
          done = true
          inFlight--
        }
      }
    },
  }
}
