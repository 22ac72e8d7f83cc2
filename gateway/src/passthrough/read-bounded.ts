import { GatewayError } from '../../../internal/shell/errors.ts'
import { readBounded } from '../request-body.ts'

/**
 * Reads a whole request body of at most `maxBytes`; past it the read stops and the request is
 * PAYLOAD_TOO_LARGE (`what` names the body in the message). Only for bodies that are one message
 * anyway (a Connect unary request without Content-Length, a gRPC-web-text request).
 */
export function readBoundedMessage(body: ReadableStream<Uint8Array> | null, maxBytes: number, what: string): Promise<Uint8Array> {
  return readBounded(body, maxBytes, () => new GatewayError('PAYLOAD_TOO_LARGE', `${what} over ${maxBytes} bytes`))
}
