import { GatewayError } from '../../../internal/shell/errors.ts'
import { readBoundedMessage } from './read-bounded.ts'

/**
 * gRPC-web-text is gRPC-web with the body base64-encoded (for clients that cannot read binary
 * streams). The internal services speak only binary gRPC-web (connect-node answers -text with
 * 415), so the passthrough decodes the request and encodes the response on the way.
 *
 * The body may be several padded base64 chunks one after another (PROTOCOL-WEB.md: a runtime
 * pads whenever it flushes), so each `=`-terminated run is decoded on its own. A browser cannot
 * stream a request body, so a -text request is read whole, up to a limit.
 */

const BASE64_RUN = /^[A-Za-z0-9+/]*$/

/** `application/grpc-web-text+proto` -> `application/grpc-web+proto`, and back with `toText`. */
export function binaryContentType(textType: string): string {
  return textType.replace(/^application\/grpc-web-text/i, 'application/grpc-web')
}
export function textContentType(binaryType: string): string {
  return binaryType.replace(/^application\/grpc-web(?!-text)/i, 'application/grpc-web-text')
}

/** Decodes base64 made of one or more padded chunks; anything else is INVALID_ARGUMENT. */
export function decodeBase64Chunks(text: string): Uint8Array<ArrayBuffer> {
  const parts: string[] = []
  let at = 0
  while (at < text.length) {
    const pad = text.indexOf('=', at)
    const end = pad === -1 ? text.length : pad
    let padding = 0
    while (text[end + padding] === '=') padding++
    const run = text.slice(at, end)
    const aligned = padding === 0 ? run.length % 4 !== 1 : padding <= 2 && (run.length + padding) % 4 === 0
    if (!BASE64_RUN.test(run) || !aligned) throw new GatewayError('INVALID_ARGUMENT', 'gRPC-web-text body is not valid base64')
    parts.push(atob(run))
    at = end + padding
  }
  const binary = parts.join('')
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

export function encodeBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

/** Reads a whole -text request body (at most `maxBytes` of base64) and decodes it. */
export async function readTextBody(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await readBoundedMessage(body, maxBytes, 'gRPC-web-text request body')
  // Byte per char: base64 is ASCII, and any other byte becomes a char the decoder refuses.
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return decodeBase64Chunks(text)
}

/** Base64-encodes a response as it streams, each chunk padded on its own so every message is flushed at once. */
export function encodeTextStream(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (chunk.length > 0) controller.enqueue(encoder.encode(encodeBase64(chunk)))
      },
    }),
  )
}
