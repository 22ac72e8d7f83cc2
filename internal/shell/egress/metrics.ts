import type { Code } from '@connectrpc/connect'
import { codeToString } from '@connectrpc/connect/protocol-connect'
import type { Registry } from '../metrics.ts'

/** What the egress client reports per attempt; `code` is undefined for a success. */
export interface EgressObserver {
  attempt(upstream: string, endpoint: string, code: Code | undefined): void
  retry(upstream: string): void
  leaderRedirect(upstream: string): void
}

/** Egress counters in a node's registry: attempts by endpoint and outcome, retries, NOT_LEADER redirects. */
export function egressMetrics(registry: Registry): EgressObserver {
  const attempts = registry.counter(
    'gatehouse_egress_attempts_total',
    'Attempts of egress calls by upstream, endpoint and outcome (ok or the Connect code)',
    ['upstream', 'endpoint', 'outcome'],
  )
  const retries = registry.counter('gatehouse_egress_retries_total', 'Egress attempts that were retries', ['upstream'])
  const redirects = registry.counter('gatehouse_egress_leader_redirects_total', 'Egress calls resent to the leader named by NOT_LEADER', ['upstream'])
  return {
    attempt: (upstream, endpoint, code) => attempts.inc({ upstream, endpoint, outcome: code === undefined ? 'ok' : codeToString(code) }),
    retry: (upstream) => retries.inc({ upstream }),
    leaderRedirect: (upstream) => redirects.inc({ upstream }),
  }
}
