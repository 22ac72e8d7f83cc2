import { create, toBinary, toJson } from '@bufbuild/protobuf'
import type { JsonValue, Registry } from '@bufbuild/protobuf'
import { base64Encode } from '@bufbuild/protobuf/wire'
import { AnySchema } from '@bufbuild/protobuf/wkt'
import { Code, ConnectError } from '@connectrpc/connect'
import { CODE_INFO, CONNECT_HTTP_STATUS, GatewayError, toProblem } from '../../../internal/shell/errors.ts'
import type { ConnectCode, ErrorCode, ProblemDocument } from '../../../internal/shell/errors.ts'

/**
 * An upstream RPC failure as an RFC 9457 problem: the HTTP status of Connect's code table
 * (https://connectrpc.com/docs/protocol#error-codes), our taxonomy code, the exact Connect code,
 * and the error details in Connect's JSON shape. A 5xx never carries the upstream's message,
 * and unknown/internal/data-loss errors never carry details: they may describe internals.
 */

interface RpcCodeInfo {
  readonly connect: ConnectCode
  /** The HTTP status of Connect's table. */
  readonly status: number
  /** The nearest code of our taxonomy (same meaning where one exists; for logs and metrics). */
  readonly code: ErrorCode
  readonly title: string
}

const info = (connect: ConnectCode, code: ErrorCode, title: string): RpcCodeInfo => ({ connect, status: CONNECT_HTTP_STATUS[connect], code, title })

export const RPC_CODES: Readonly<Record<Code, RpcCodeInfo>> = {
  [Code.Canceled]: info('canceled', 'CANCELED', 'Request canceled'),
  [Code.Unknown]: info('unknown', 'INTERNAL', 'Internal error'),
  [Code.InvalidArgument]: info('invalid_argument', 'INVALID_ARGUMENT', 'Invalid request'),
  [Code.DeadlineExceeded]: info('deadline_exceeded', 'TIMEOUT', 'Timeout'),
  [Code.NotFound]: info('not_found', 'NOT_FOUND', 'Not found'),
  [Code.AlreadyExists]: info('already_exists', 'INVALID_ARGUMENT', 'Already exists'),
  [Code.PermissionDenied]: info('permission_denied', 'PERMISSION_DENIED', 'Permission denied'),
  [Code.ResourceExhausted]: info('resource_exhausted', 'RATE_LIMITED', 'Resource exhausted'),
  [Code.FailedPrecondition]: info('failed_precondition', 'INVALID_ARGUMENT', 'Failed precondition'),
  [Code.Aborted]: info('aborted', 'STALE_EPOCH', 'Aborted'),
  [Code.OutOfRange]: info('out_of_range', 'INVALID_ARGUMENT', 'Out of range'),
  [Code.Unimplemented]: info('unimplemented', 'METHOD_NOT_ALLOWED', 'Not implemented'),
  [Code.Internal]: info('internal', 'INTERNAL', 'Internal error'),
  [Code.Unavailable]: info('unavailable', 'UNAVAILABLE', 'Upstream unavailable'),
  [Code.DataLoss]: info('data_loss', 'INTERNAL', 'Internal error'),
  [Code.Unauthenticated]: info('unauthenticated', 'UNAUTHENTICATED', 'Unauthenticated'),
}

/** Codes whose details and message are withheld: they describe the upstream's insides. */
const OPAQUE = new Set([Code.Unknown, Code.Internal, Code.DataLoss])

export interface RpcProblem {
  readonly status: number
  readonly document: ProblemDocument
  /** The same failure in our taxonomy, for the access log (`c.set('error', ...)`). */
  readonly error: GatewayError
}

/** Any failure of an upstream call (a ConnectError or anything else thrown) as a problem. */
export function rpcProblem(err: unknown, requestId: string | undefined, registry: Registry): RpcProblem {
  const connectError = err instanceof GatewayError ? fromGatewayError(err) : ConnectError.from(err)
  const code = RPC_CODES[networkFailure(connectError) ? Code.Unavailable : connectError.code] ?? RPC_CODES[Code.Unknown]
  const detail = code.status < 500 ? connectError.rawMessage : code.title
  const error = new GatewayError(code.code, detail, { cause: err })
  const details = OPAQUE.has(connectError.code) ? [] : connectError.details.map((d) => renderDetail(d, registry))
  const document: ProblemDocument = {
    ...toProblem(error, requestId),
    type: `urn:gatehouse:problem:${code.connect.replaceAll('_', '-')}`,
    title: code.title,
    status: code.status,
    connectCode: code.connect,
    ...(details.length > 0 ? { details } : {}),
  }
  return { status: code.status, document, error }
}

/** One of ours (an egress or a transport wrapper may throw them): its Connect code, its safe message. */
function fromGatewayError(err: GatewayError): ConnectError {
  const connect = CODE_INFO[err.code].connect
  const code = ALL_CODES.find((c) => RPC_CODES[c].connect === connect) ?? Code.Unknown
  return new ConnectError(err.message, code, undefined, undefined, err)
}

const ALL_CODES = Object.values(Code).filter((c): c is Code => typeof c === 'number')

/**
 * A fetch-based transport reports a refused or reset connection as UNKNOWN caused by fetch's
 * TypeError (the only kind of error fetch rejects with for network failures, on every runtime).
 */
function networkFailure(err: ConnectError): boolean {
  return err.code === Code.Unknown && err.cause instanceof TypeError
}

/** The problem as an `application/problem+json` response. */
export function rpcProblemResponse(problem: RpcProblem): Response {
  return new Response(JSON.stringify(problem.document), {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
  })
}

type Detail = ConnectError['details'][number]

/** Connect's JSON error detail: `{ type, value (base64) }`, plus `debug` (its JSON) when the type is known. */
function renderDetail(detail: Detail, registry: Registry): { type: string; value: string; debug?: JsonValue } {
  if ('desc' in detail) {
    const message = create(detail.desc, detail.value)
    const bytes = toBinary(detail.desc, message)
    return { type: detail.desc.typeName, value: base64Encode(bytes, 'std_raw'), debug: toJson(detail.desc, message, { registry }) }
  }
  const result: { type: string; value: string; debug?: JsonValue } = { type: detail.type, value: base64Encode(detail.value, 'std_raw') }
  if (registry.getMessage(detail.type)) {
    try {
      const any = create(AnySchema, { typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value })
      const json = toJson(AnySchema, any, { registry }) as Record<string, JsonValue>
      delete json['@type']
      result.debug = json
    } catch {
      // A detail that does not decode stays opaque (type and bytes only).
    }
  }
  return result
}
