import type { DescMethod } from '@bufbuild/protobuf'
import type { Transport } from '@connectrpc/connect'
import { Code, ConnectError } from '@connectrpc/connect'
import { deadlineExceeded, raceSignal, sleep } from './deadline.ts'
import { notLeader } from './not-leader.ts'
import { backoffMs, isNetworkFailure, isRetryable, markNotSent, provedNotSent } from './retry.ts'
import type { Upstream } from './upstream.ts'

/**
 * One logical call, attempt after attempt: endpoint (leader hint, then breaker + balancer,
 * another endpoint than the ones tried while there is one) → attempt with the remaining time →
 * outcome to the endpoint's breaker → NOT_LEADER followed once → retry when the method (or the
 * error) allows it, attempts and budget remain, and the backoff ends before the deadline.
 */

export interface CallPlan {
  readonly method: DescMethod
  /** Aborted by the caller, at the deadline, or when the call is over (runUnaryCall/runStreamingCall). */
  readonly signal: AbortSignal
  readonly deadline: number | undefined
  /** The request can be sent again (unary, or a server stream before its first message). */
  readonly replayable: boolean
}

/** Sends the request to one endpoint; `end` marks it no longer in flight (call it when a stream ends). */
export type Attempt<R> = (transport: Transport, timeoutMs: number | undefined, end: () => void) => Promise<R>

export async function runAttempts<R>(up: Upstream, plan: CallPlan, attempt: Attempt<R>): Promise<R> {
  const { options, budget } = up
  const { now } = options
  const tried = new Set<string>()
  let preferred = up.leader()
  let followed = false
  let retries = 0
  let last: ConnectError | undefined
  budget.request()
  for (;;) {
    const remaining = plan.deadline === undefined ? undefined : plan.deadline - now()
    if (remaining !== undefined && remaining <= 0) throw deadlineExceeded(last)
    const picked = up.pick(tried, preferred)
    if (!picked) throw last ?? up.noEndpoint()
    tried.add(picked.url)
    const end = up.balancer.begin(picked.url)
    try {
      const result = await raceSignal(attempt(up.transport(picked.url), remaining, end), plan.signal)
      picked.permit.success()
      options.observer?.attempt(options.name, picked.url, undefined)
      return result
    } catch (e) {
      end()
      const err = outcome(e, plan.signal)
      options.observer?.attempt(options.name, picked.url, err.code)
      const nl = notLeader(err)
      if (err.code === Code.Canceled) picked.permit.release() // the caller left: says nothing of the endpoint
      else if (nl || !options.failureCodes.includes(err.code)) picked.permit.success() // it answered: alive
      else picked.permit.failure()
      if (plan.signal.aborted) throw e // runUnaryCall/runStreamingCall turn it into the signal's reason
      last = err
      if (nl?.leader !== undefined && nl.leader !== picked.url && !followed && plan.replayable) {
        followed = true // the request had no effect: resend to the leader now, no backoff, no budget
        up.followLeader(nl.leader)
        options.observer?.leaderRedirect(options.name)
        preferred = nl.leader
        continue
      }
      preferred = undefined
      if (!plan.replayable || !isRetryable(plan.method, err, options.retry)) throw err
      if (retries + 1 >= options.retry.maxAttempts || !budget.tryRetry()) throw err
      const delay = backoffMs(++retries, options.retry, options.random)
      if (plan.deadline !== undefined && now() + delay >= plan.deadline) throw deadlineExceeded(err)
      await sleep(delay, plan.signal)
      options.observer?.retry(options.name)
    }
  }
}

/**
 * The attempt's failure as a ConnectError. A caller's abort is Canceled and the deadline
 * DeadlineExceeded (the signal's reason); a connection failure is Unavailable, whatever code the
 * transport gave it (see isNetworkFailure). Errors sent by the server are kept as they are.
 */
function outcome(e: unknown, signal: AbortSignal): ConnectError {
  if (signal.aborted) return ConnectError.from(signal.reason, Code.Canceled)
  const err = ConnectError.from(e)
  if (err.code === Code.Unavailable || err.code === Code.Canceled || err.code === Code.DeadlineExceeded) return err
  if (err.cause === undefined || !isNetworkFailure(err.cause)) return err
  const unavailable = new ConnectError(err.rawMessage, Code.Unavailable, err.metadata, undefined, err.cause)
  if (provedNotSent(err)) markNotSent(unavailable)
  return unavailable
}
