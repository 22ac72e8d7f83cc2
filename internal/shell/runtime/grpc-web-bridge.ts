import { CODE_INFO, ERROR_CODES } from '../errors.ts'
import type { ErrorCode } from '../errors.ts'

/**
 * Native gRPC <-> gRPC-web, Web APIs only: both use the same 5-byte length-prefixed frames; gRPC
 * sends its status as HTTP/2 trailers, gRPC-web as a last frame with flag 0x80 holding the
 * trailers as `name: value\r\n` lines. A gRPC ingress converts a call to gRPC-web, runs it through
 * a fetch handler (every policy applies unchanged) and converts the answer back.
 */

/** gRPC status codes used by the bridge itself. */
export const GRPC = { OK: 0, CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14 } as const

const GRPC_TYPE = /^application\/grpc(\+[a-z0-9._-]+)?\s*(;.*)?$/i
const GRPC_WEB_TYPE = /^application\/grpc-web(\+[a-z0-9._-]+)?\s*(;.*)?$/i

/** `application/grpc`, `application/grpc+proto`, `application/grpc+json` (not gRPC-web). */
export function isGrpcContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && GRPC_TYPE.test(contentType)
}

/** `application/grpc[+codec]` -> `application/grpc-web+codec` (proto when none is named). */
export function toGrpcWebContentType(contentType: string): string {
  const codec = GRPC_TYPE.exec(contentType)?.[1] ?? '+proto'
  return `application/grpc-web${codec.toLowerCase()}`
}

/** A binary gRPC-web response type -> its native gRPC one; undefined for anything else (`-text` too). */
export function fromGrpcWebContentType(contentType: string | null): string | undefined {
  const match = contentType === null ? null : GRPC_WEB_TYPE.exec(contentType)
  if (!match) return undefined
  return `application/grpc${(match[1] ?? '+proto').toLowerCase()}`
}

/** grpc-message is percent-encoded (spec: anything outside printable ASCII, and `%`). */
export function encodeGrpcMessage(message: string): string {
  let out = ''
  for (const byte of new TextEncoder().encode(message)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** The gRPC status for an HTTP status without a gRPC answer (the gRPC spec's HTTP mapping). */
function grpcCodeForHttpStatus(status: number): number {
  if (status === 400) return GRPC.INTERNAL
  if (status === 401) return 16
  if (status === 403) return 7
  if (status === 404) return GRPC.UNIMPLEMENTED
  if (status === 429 || status === 502 || status === 503 || status === 504) return GRPC.UNAVAILABLE
  return GRPC.UNKNOWN
}

const MAX_PROBLEM_BYTES = 16 * 1024

/**
 * The status of a response that is not a gRPC-web stream: a trailers-only gRPC-web answer
 * (`grpc-status` in the headers), our own problem+json (its taxonomy code says exactly which
 * gRPC status), or any other HTTP answer (the gRPC spec's HTTP mapping). Consumes the body.
 */
export async function statusOfNonGrpcResponse(res: Response): Promise<{ code: number; message: string }> {
  const inHeaders = res.headers.get('grpc-status')
  if (inHeaders !== null && /^\d+$/.test(inHeaders)) {
    await res.body?.cancel()
    return { code: Number(inHeaders), message: decodeGrpcMessage(res.headers.get('grpc-message') ?? '') }
  }
  const type = res.headers.get('content-type') ?? ''
  if (type.startsWith('application/problem+json') && Number(res.headers.get('content-length') ?? 0) <= MAX_PROBLEM_BYTES) {
    try {
      const problem = (await res.json()) as { code?: unknown; detail?: unknown }
      const code = typeof problem.code === 'string' && (ERROR_CODES as readonly string[]).includes(problem.code) ? (problem.code as ErrorCode) : undefined
      if (code) return { code: CODE_INFO[code].grpc, message: typeof problem.detail === 'string' ? problem.detail : CODE_INFO[code].title }
    } catch {
      // not our problem document after all: fall through to the HTTP mapping
    }
  } else {
    await res.body?.cancel()
  }
  return { code: grpcCodeForHttpStatus(res.status), message: `upstream answered HTTP ${res.status}` }
}

/**
 * grpc-message in the spec's canonical form: upstreams differ in what they escape (connect
 * escapes `/` too, grpc-js decodes with decodeURI and would show `%2F`).
 */
export function canonicalGrpcMessage(value: string): string {
  return encodeGrpcMessage(decodeGrpcMessage(value))
}

function decodeGrpcMessage(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
