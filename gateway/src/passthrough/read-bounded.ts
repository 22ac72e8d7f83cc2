import { GatewayError } from '../../../internal/shell/errors.ts'

/**
 * Reads a whole request body of at most `maxBytes`; past it the read stops and the request is
 * PAYLOAD_TOO_LARGE (`what` names the body in the message). Only for bodies that are one message
 * anyway (a Connect unary request without Content-Length, a gRPC-web-text request).
 */
export async function readBounded(body: ReadableStream<Uint8Array> | null, maxBytes: number, what: string): Promise<Uint8Array<ArrayBuffer>> {
  if (body === null) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw new GatewayError('PAYLOAD_TOO_LARGE', `${what} over ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}
