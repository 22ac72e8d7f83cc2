import type { Logger } from '../../../../internal/shell/access-log.ts'
import type { Registry } from '../../../../internal/shell/metrics.ts'

/** Whether a shared store is worth asking, from what its operations saw; one per policy instance. */
export interface StoreHealth {
  /** True: send this operation to the store. False: decide without it now (it is down, no probe due). */
  shouldTry(): boolean
  /** The store answered (within or over the limit). */
  ok(): void
  /** The store failed or timed out (`err`), or was skipped while down (no `err`). */
  failed(err?: unknown): void
}

export interface StoreHealthOptions {
  readonly policy: string
  /** Where the store is, for the log (never credentials). */
  readonly store: string
  readonly onStoreFailure: string
  readonly metrics: Registry
  readonly log: Logger
  /** False when the connection is known to be down: no probe is sent then. */
  readonly connected: () => boolean
  /** While down, at most one operation per interval goes to the store to see whether it is back. */
  readonly probeIntervalMs?: number
  readonly now?: () => number
}

const PROBE_INTERVAL_MS = 500

/**
 * Up/down state with one log line per transition (never per request), a failure counter and an
 * up gauge. While down, operations skip the store (no timeout per request) except one probe per
 * interval once the connection is back; the first probe that succeeds brings the store back.
 */
export function createStoreHealth(o: StoreHealthOptions): StoreHealth {
  const labels = { policy: o.policy }
  const failures = o.metrics
    .counter('gatehouse_rate_limit_store_failures_total', 'Rate-limit store operations that failed, timed out or were skipped while it was down', ['policy'])
    .labels(labels)
  const up = o.metrics.gauge('gatehouse_rate_limit_store_up', 'Whether the rate-limit store of a policy answers (1) or its onStoreFailure applies (0)', ['policy']).labels(labels)
  const now = o.now ?? (() => performance.now())
  const interval = o.probeIntervalMs ?? PROBE_INTERVAL_MS
  let down = false
  let downSince = 0
  let nextProbe = 0
  up.set(1)

  return {
    shouldTry() {
      if (!down) return true
      const t = now()
      if (t < nextProbe || !o.connected()) return false
      nextProbe = t + interval
      return true
    },
    ok() {
      if (!down) return
      down = false
      up.set(1)
      o.log.info('rate limit store recovered', { policy: o.policy, store: o.store, downMs: Math.round(now() - downSince) })
    },
    failed(err) {
      failures.inc()
      if (down) return
      down = true
      downSince = now()
      nextProbe = downSince + interval
      up.set(0)
      o.log.warn('rate limit store unavailable', {
        policy: o.policy,
        store: o.store,
        onStoreFailure: o.onStoreFailure,
        error: err instanceof Error ? err.message : String(err ?? 'not connected'),
      })
    },
  }
}
