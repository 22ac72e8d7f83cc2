import { GatewayError } from '../../../internal/shell/errors.ts'

/**
 * The deadline of a passthrough call: the smallest of the caller's own (`grpc-timeout` for gRPC and
 * gRPC-web, `connect-timeout-ms` for Connect) and the route timeout. It bounds the wait for the
 * upstream's response headers and is sent upstream in the caller's header, so the service ends a
 * stream with deadline_exceeded itself. Unlike the egress client, a malformed header is the
 * caller's mistake and refused (INVALID_ARGUMENT), not ignored.
 */

const GRPC_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 }
const GRPC_TIMEOUT = /^(\d{1,8})([HMSmun])$/
const CONNECT_TIMEOUT = /^\d{1,10}$/
/** The largest value `<n>m` can carry in grpc-timeout's 8 digits. */
const GRPC_MAX_MS = 99_999_999

export type TimeoutHeader = 'grpc-timeout' | 'connect-timeout-ms'

/** The caller's timeout in ms (rounded up to whole ms), undefined when it sent none. */
export function callerTimeoutMs(headers: Headers, header: TimeoutHeader): number | undefined {
  const value = headers.get(header)
  if (value === null) return undefined
  if (header === 'connect-timeout-ms') {
    if (!CONNECT_TIMEOUT.test(value)) throw new GatewayError('INVALID_ARGUMENT', `malformed connect-timeout-ms header: expected 1 to 10 digits`)
    return Number(value)
  }
  const m = GRPC_TIMEOUT.exec(value)
  if (!m) throw new GatewayError('INVALID_ARGUMENT', `malformed grpc-timeout header: expected 1 to 8 digits and a unit (H, M, S, m, u, n)`)
  return Math.ceil(Number(m[1]) * (GRPC_UNIT_MS[m[2] as string] as number))
}

/** `ms` in the caller's header format. */
export function formatTimeout(ms: number, header: TimeoutHeader): string {
  if (header === 'connect-timeout-ms') return String(ms)
  return ms <= GRPC_MAX_MS ? `${ms}m` : `${Math.min(Math.ceil(ms / 1000), GRPC_MAX_MS)}S`
}

/**
 * The call's timeout: the smaller of the caller's and the route's, written into `upstream`
 * (the headers going upstream) in the caller's format. A caller's deadline already gone is
 * TIMEOUT at once, without an upstream call.
 */
export function applyDeadline(incoming: Headers, upstream: Headers, header: TimeoutHeader, routeTimeoutMs: number): number {
  const caller = callerTimeoutMs(incoming, header)
  if (caller === 0) throw new GatewayError('TIMEOUT', 'the caller\'s deadline has already passed')
  const timeoutMs = caller === undefined ? routeTimeoutMs : Math.min(caller, routeTimeoutMs)
  upstream.set(header, formatTimeout(timeoutMs, header))
  return timeoutMs
}
