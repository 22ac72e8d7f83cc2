import { GatewayError } from '../../../internal/shell/errors.ts'
import type { MutableFields } from '../../../internal/shell/field-list.ts'
import { parseConnectTimeout, parseGrpcTimeout } from '../../../internal/shell/timeout-headers.ts'

/**
 * The deadline of a passthrough call: the smallest of the caller's own (`grpc-timeout` for gRPC and
 * gRPC-web, `connect-timeout-ms` for Connect) and the route timeout. It bounds the wait for the
 * upstream's response headers and is sent upstream in the caller's header, so the service ends a
 * stream with deadline_exceeded itself. Unlike the egress client, a malformed header is the
 * caller's mistake and refused (INVALID_ARGUMENT), not ignored.
 */

/** The largest value `<n>m` can carry in grpc-timeout's 8 digits. */
const GRPC_MAX_MS = 99_999_999

export type TimeoutHeader = 'grpc-timeout' | 'connect-timeout-ms'

/** The caller's timeout in ms (rounded up to whole ms), undefined when it sent none. */
export function callerTimeoutMs(headers: Headers, header: TimeoutHeader): number | undefined {
  const value = headers.get(header)
  if (value === null) return undefined
  if (header === 'connect-timeout-ms') {
    const ms = parseConnectTimeout(value)
    if (ms === undefined) throw new GatewayError('INVALID_ARGUMENT', `malformed connect-timeout-ms header: expected 1 to 10 digits`)
    return ms
  }
  const ms = parseGrpcTimeout(value)
  if (ms === undefined) throw new GatewayError('INVALID_ARGUMENT', `malformed grpc-timeout header: expected 1 to 8 digits and a unit (H, M, S, m, u, n)`)
  return Math.ceil(ms)
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
export function applyDeadline(incoming: Headers, upstream: MutableFields, header: TimeoutHeader, routeTimeoutMs: number): number {
  const caller = callerTimeoutMs(incoming, header)
  if (caller === 0) throw new GatewayError('TIMEOUT', 'the caller\'s deadline has already passed')
  const timeoutMs = caller === undefined ? routeTimeoutMs : Math.min(caller, routeTimeoutMs)
  upstream.set(header, formatTimeout(timeoutMs, header))
  return timeoutMs
}
