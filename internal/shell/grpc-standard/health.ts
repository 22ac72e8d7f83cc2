import { create } from '@bufbuild/protobuf'
import { Code, ConnectError } from '@connectrpc/connect'
import type { ServiceImpl } from '@connectrpc/connect'
import { Health, HealthCheckResponse_ServingStatus, HealthCheckResponseSchema } from '../../../proto/gen/grpc/health/v1/health_pb.ts'
import type { HealthCheckResponse } from '../../../proto/gen/grpc/health/v1/health_pb.ts'

/** The status of a service as the node sees it ("" = the node as a whole). */
export type ServingStatusName = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN'

/** Answers for one service name ("" = the whole node); must be cheap and must not throw. */
export type HealthCheck = (service: string) => ServingStatusName

export interface HealthOptions {
  /** The services `List` reports besides "" (those whose check is not SERVICE_UNKNOWN). Default: none. */
  readonly services?: readonly string[]
  /** `Watch` re-reads the check this often (ms). Default 1000; 0 = only when `subscribe` notifies. */
  readonly pollMs?: number
  /** A change feed: `Watch` re-reads the check whenever it calls `onChange`; returns an unsubscribe. */
  readonly subscribe?: (onChange: () => void) => () => void
}

const STATUS: Readonly<Record<ServingStatusName, HealthCheckResponse_ServingStatus>> = {
  SERVING: HealthCheckResponse_ServingStatus.SERVING,
  NOT_SERVING: HealthCheckResponse_ServingStatus.NOT_SERVING,
  SERVICE_UNKNOWN: HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN,
}
/** The health protocol's limit for List. */
const LIST_LIMIT = 100

/**
 * A check from a readiness flag: "" and the given services are SERVING while `ready()`, else
 * NOT_SERVING; any other name is SERVICE_UNKNOWN. A node passes its lifecycle's readiness.
 */
export function readinessCheck(services: readonly string[], ready: () => boolean): HealthCheck {
  const known = new Set(['', ...services])
  return (service) => (!known.has(service) ? 'SERVICE_UNKNOWN' : ready() ? 'SERVING' : 'NOT_SERVING')
}

/**
 * `grpc.health.v1.Health`: Check (unknown service = NOT_FOUND, as the protocol says), List, and
 * Watch, which sends the current status at once and then each change. Watch finds changes by
 * re-reading `check` every `pollMs` and whenever `subscribe` notifies (so a node without a change
 * feed still works, and one with a feed answers at once); it ends when the client goes away.
 */
export function createHealthService(check: HealthCheck, options: HealthOptions = {}): ServiceImpl<typeof Health> {
  const pollMs = options.pollMs ?? 1000
  const status = (service: string): HealthCheckResponse => create(HealthCheckResponseSchema, { status: STATUS[check(service)] })
  return {
    check({ service }) {
      const answer = status(service)
      if (answer.status === HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN) {
        throw new ConnectError(`unknown service "${service}"`, Code.NotFound)
      }
      return answer
    },
    list() {
      const statuses: Record<string, HealthCheckResponse> = {}
      for (const service of new Set(['', ...(options.services ?? [])])) {
        const answer = status(service)
        if (answer.status !== HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN) statuses[service] = answer
      }
      if (Object.keys(statuses).length > LIST_LIMIT) {
        throw new ConnectError(`more than ${LIST_LIMIT} services`, Code.ResourceExhausted)
      }
      return { statuses }
    },
    async *watch({ service }, context) {
      const wake = createWakeUp(context.signal, pollMs, options.subscribe)
      try {
        let last: HealthCheckResponse_ServingStatus | undefined
        while (!context.signal.aborted) {
          const answer = status(service)
          if (answer.status !== last) {
            last = answer.status
            yield answer
          }
          await wake.next()
        }
      } finally {
        wake.close()
      }
    },
  }
}

/**
 * Resolves `next()` on the next poll tick, change notification or abort (a wake-up is never lost).
 * Releases the timer and the subscription on abort by itself: a server may abandon a stream's
 * generator at a `yield` without resuming it, so a `finally` alone would leak them.
 */
function createWakeUp(signal: AbortSignal, pollMs: number, subscribe: HealthOptions['subscribe']) {
  let pending = false
  let resolve: (() => void) | undefined
  const fire = () => {
    pending = true
    resolve?.()
  }
  const unsubscribe = subscribe?.(fire)
  const timer = pollMs > 0 ? setInterval(fire, pollMs) : undefined
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    clearInterval(timer)
    unsubscribe?.()
    signal.removeEventListener('abort', onAbort)
  }
  const onAbort = () => {
    close()
    fire()
  }
  signal.addEventListener('abort', onAbort)
  return {
    next: async () => {
      if (!pending) await new Promise<void>((r) => (resolve = r))
      pending = false
      resolve = undefined
    },
    close,
  }
}
