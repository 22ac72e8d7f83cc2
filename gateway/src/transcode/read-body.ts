import { GatewayError } from '../../../internal/shell/errors.ts'
import { readBounded } from '../request-body.ts'

/** The default bound of a buffered (JSON or raw unary) request body. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024

/**
 * Reads a whole request body, at most `maxBytes` of it: 413 PAYLOAD_TOO_LARGE as soon as the
 * declared length or the bytes read pass the bound (the rest is never read).
 */
export async function readBoundedBody(body: ReadableStream<Uint8Array> | null, declared: string | null, maxBytes: number): Promise<Uint8Array> {
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes)
  return readBounded(body, maxBytes, () => tooLarge(maxBytes))
}

/** Parses a JSON body; 400 with the parser's reason when it is not JSON. Empty means undefined. */
export function parseJsonBody(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) return undefined
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new GatewayError('INVALID_ARGUMENT', 'the request body is not valid UTF-8')
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new GatewayError('INVALID_ARGUMENT', `malformed JSON body: ${(err as Error).message}`)
  }
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`)
}
