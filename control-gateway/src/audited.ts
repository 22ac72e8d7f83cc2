import { Code, ConnectError } from '@connectrpc/connect'
import type { HandlerContext } from '@connectrpc/connect'
import type { Registry } from '../../internal/shell/metrics.ts'
import { BundleConflictSchema } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import { auditEntry } from './audit.ts'
import type { AuditLog } from './audit.ts'
import { StaleHead } from './bundle-store.ts'
import { readCallSite } from './call-site.ts'

/** What a mutating call did, for its response and its audit record. */
export interface Outcome<T> {
  readonly response: T
  readonly oldHash: string
  readonly newHash: string
  readonly message?: string
}

export type Audited = <T>(ctx: HandlerContext, action: string, target: string, run: () => Promise<Outcome<T>>) => Promise<T>

/**
 * Wraps a mutating call: exactly one audit record (durable before the answer) and one count in
 * `gatehouse_control_calls_total{action,result}`, whatever the result. A StaleHead leaves as
 * ABORTED with a BundleConflict detail, recorded as STALE_EPOCH.
 */
export function createAudited(audit: AuditLog, currentHash: () => string, metrics?: Registry): Audited {
  const calls = metrics?.counter('gatehouse_control_calls_total', 'Mutating control calls, by action and result', ['action', 'result'])
  return async (ctx, action, target, run) => {
    const site = readCallSite(ctx.requestHeader)
    const before = currentHash()
    try {
      const outcome = await run()
      calls?.inc({ action, result: 'ok' })
      await audit.append(auditEntry(site, { action, target, result: 'ok', oldHash: outcome.oldHash, newHash: outcome.newHash, message: outcome.message ?? '' }))
      return outcome.response
    } catch (err) {
      const error = ConnectError.from(err)
      // Upper snake case like the taxonomy: InvalidArgument -> INVALID_ARGUMENT.
      const result = err instanceof StaleHead ? 'STALE_EPOCH' : Code[error.code].replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()
      calls?.inc({ action, result })
      await audit.append(auditEntry(site, { action, target, result, oldHash: before, newHash: before, message: error.rawMessage.split('\n')[0] ?? '' }))
      throw err instanceof StaleHead ? staleError(err) : err
    }
  }
}

function staleError(err: StaleHead): ConnectError {
  const current = err.current.canary ?? err.current.stable
  return new ConnectError(err.message, Code.Aborted, undefined, [
    { desc: BundleConflictSchema, value: { expectedHash: err.expectedHash, currentHash: current?.hash ?? '', currentVersion: BigInt(current?.version ?? 0) } },
  ])
}
