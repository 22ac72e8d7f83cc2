import { HTTPException } from 'hono/http-exception'

/**
 * The one error taxonomy of every Gatehouse node, its mapping to HTTP, Connect and gRPC, and its
 * rendering as RFC 9457 `application/problem+json` (rpc-errors.ts renders the same errors for
 * gRPC, gRPC-web and Connect callers from these tables). Request-time failures are thrown as
 * `GatewayError` anywhere and rendered only by the shell; anything else that reaches the renderer
 * becomes a bare INTERNAL error, so a stack trace or a foreign message never reaches a client.
 */

export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'OVERLOADED',
  'UNAVAILABLE',
  'TIMEOUT',
  'NOT_LEADER',
  'STALE_EPOCH',
  'CANCELED',
  'INTERNAL',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

/** Connect's code names (https://connectrpc.com/docs/protocol#error-codes). */
export type ConnectCode =
  | 'canceled' | 'unknown' | 'invalid_argument' | 'deadline_exceeded' | 'not_found' | 'already_exists'
  | 'permission_denied' | 'resource_exhausted' | 'failed_precondition' | 'aborted' | 'out_of_range'
  | 'unimplemented' | 'internal' | 'unavailable' | 'data_loss' | 'unauthenticated'

interface CodeInfo {
  readonly status: number
  readonly connect: ConnectCode
  readonly grpc: number
  readonly title: string
}

/** The mapping table: taxonomy code -> HTTP status, Connect code, gRPC status, problem title. */
export const CODE_INFO: Readonly<Record<ErrorCode, CodeInfo>> = {
  INVALID_ARGUMENT: { status: 400, connect: 'invalid_argument', grpc: 3, title: 'Invalid request' },
  UNAUTHENTICATED: { status: 401, connect: 'unauthenticated', grpc: 16, title: 'Unauthenticated' },
  PERMISSION_DENIED: { status: 403, connect: 'permission_denied', grpc: 7, title: 'Permission denied' },
  NOT_FOUND: { status: 404, connect: 'not_found', grpc: 5, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, connect: 'unimplemented', grpc: 12, title: 'Method not allowed' },
  PAYLOAD_TOO_LARGE: { status: 413, connect: 'resource_exhausted', grpc: 8, title: 'Payload too large' },
  RATE_LIMITED: { status: 429, connect: 'resource_exhausted', grpc: 8, title: 'Rate limited' },
  OVERLOADED: { status: 503, connect: 'resource_exhausted', grpc: 8, title: 'Overloaded' },
  UNAVAILABLE: { status: 503, connect: 'unavailable', grpc: 14, title: 'Upstream unavailable' },
  TIMEOUT: { status: 504, connect: 'deadline_exceeded', grpc: 4, title: 'Timeout' },
  NOT_LEADER: { status: 503, connect: 'unavailable', grpc: 14, title: 'Not the leader' },
  STALE_EPOCH: { status: 409, connect: 'aborted', grpc: 10, title: 'Stale epoch' },
  CANCELED: { status: 499, connect: 'canceled', grpc: 1, title: 'Request canceled' },
  INTERNAL: { status: 500, connect: 'internal', grpc: 13, title: 'Internal error' },
}

/**
 * Connect's HTTP status for each of its codes (https://connectrpc.com/docs/protocol#error-codes),
 * used for Connect unary error responses; connect-es keeps its own table private.
 */
export const CONNECT_HTTP_STATUS: Readonly<Record<ConnectCode, number>> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
}

export interface GatewayErrorOptions {
  /** Response headers to send with the error (retry-after, www-authenticate, allow, ...). */
  headers?: Readonly<Record<string, string>>
  /** Extra members of the problem document (e.g. `leader` for NOT_LEADER). Never secrets. */
  extensions?: Readonly<Record<string, unknown>>
  cause?: unknown
}

/** A request-time failure with a taxonomy code; its message is safe to show to the caller. */
export class GatewayError extends Error {
  override name = 'GatewayError'
  readonly code: ErrorCode
  readonly headers: Readonly<Record<string, string>>
  readonly extensions: Readonly<Record<string, unknown>>

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.code = code
    this.headers = options.headers ?? {}
    this.extensions = options.extensions ?? {}
  }

  get status(): number {
    return CODE_INFO[this.code].status
  }
}

/** Anything thrown, as a GatewayError: foreign errors become INTERNAL with a generic message. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err
  if (err instanceof HTTPException) return fromHttpStatus(err.status, err.message, err)
  return new GatewayError('INTERNAL', 'internal error', { cause: err })
}

/** The taxonomy code for an HTTP status produced by something else (hono's HTTPException, an upstream). */
export function codeForStatus(status: number): ErrorCode {
  if (status === 503) return 'UNAVAILABLE' // not OVERLOADED: a foreign 503 says nothing about load
  for (const code of ERROR_CODES) if (CODE_INFO[code].status === status) return code
  if (status >= 500) return 'INTERNAL'
  return 'INVALID_ARGUMENT'
}

function fromHttpStatus(status: number, message: string, cause: unknown): GatewayError {
  const code = codeForStatus(status)
  return new GatewayError(code, status < 500 && message ? message : CODE_INFO[code].title, { cause })
}

export interface ProblemDocument {
  type: string
  title: string
  status: number
  code: ErrorCode
  detail?: string
  requestId?: string
  [extension: string]: unknown
}

/** The RFC 9457 body for an error. A 5xx keeps its message only when it is a GatewayError (ours, safe). */
export function toProblem(err: GatewayError, requestId: string | undefined): ProblemDocument {
  const info = CODE_INFO[err.code]
  return {
    ...err.extensions,
    type: `urn:gatehouse:problem:${err.code.toLowerCase().replaceAll('_', '-')}`,
    title: info.title,
    status: info.status,
    code: err.code,
    detail: err.message,
    ...(requestId ? { requestId } : {}),
  }
}

/** The one place an error becomes a response. */
export function renderProblem(err: unknown, requestId: string | undefined): Response {
  const e = toGatewayError(err)
  const headers = new Headers(e.headers)
  headers.set('content-type', 'application/problem+json')
  headers.set('cache-control', 'no-store')
  return new Response(JSON.stringify(toProblem(e, requestId)), { status: e.status, headers })
}
