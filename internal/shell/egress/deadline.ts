import { Code, ConnectError, createContextKey } from '@connectrpc/connect'
import { parseConnectTimeout, parseGrpcTimeout } from '../timeout-headers.ts'

/**
 * Deadlines. A call's deadline is the earliest of the caller's absolute deadline (`deadlineKey`
 * in the call's context values) and `now + timeoutMs` (the Connect call option). It is only
 * ever shortened: the client's default timeout applies when the caller gave neither. Every
 * attempt is sent with the time then remaining (as `connect-timeout-ms` / `grpc-timeout`, so the
 * server sees it too), and no attempt starts once it is gone.
 */

/** Absolute deadline of a call, in ms since the epoch (the client's clock). */
export const deadlineKey = createContextKey<number | undefined>(undefined, { description: 'gatehouse egress deadline (epoch ms)' })

/**
 * The call's deadline, or undefined for none. `timeoutMs` ≤ 0 means "no timeout" (as in
 * Connect's CallOptions); an absolute deadline in the past is kept (the call fails at once).
 */
export function resolveDeadline(now: number, timeoutMs: number | undefined, deadline: number | undefined, defaultTimeoutMs: number | undefined): number | undefined {
  const fromTimeout = timeoutMs !== undefined && timeoutMs > 0 ? now + timeoutMs : undefined
  if (fromTimeout === undefined && deadline === undefined) {
    return defaultTimeoutMs !== undefined && defaultTimeoutMs > 0 ? now + defaultTimeoutMs : undefined
  }
  return Math.min(fromTimeout ?? Infinity, deadline ?? Infinity)
}

/**
 * The remaining time an incoming request carries: `grpc-timeout` (`<1-8 digits><H|M|S|m|u|n>`)
 * or `connect-timeout-ms` (1-10 digits). Undefined when absent or malformed.
 */
export function timeoutFromHeaders(headers: Headers): number | undefined {
  return parseGrpcTimeout(headers.get('grpc-timeout')) ?? parseConnectTimeout(headers.get('connect-timeout-ms'))
}

export function deadlineExceeded(cause?: ConnectError): ConnectError {
  const why = cause ? `; last attempt: ${cause.message}` : ''
  return new ConnectError(`deadline exceeded before another attempt${why}`, Code.DeadlineExceeded, undefined, undefined, cause)
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError')
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortReason(signal))
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(abortReason(signal))
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * `promise`, or a rejection with the signal's reason as soon as it aborts, even when the
 * transport underneath does not honour the signal. A late rejection of `promise` is swallowed.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.reject(abortReason(signal))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {})
      reject(abortReason(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
