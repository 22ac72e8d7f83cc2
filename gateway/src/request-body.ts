import type { Context } from 'hono'
import { concatBytes } from '../../internal/shell/bytes.ts'
import type { GatewayEnv } from './env.ts'

/**
 * The body a request sends upstream. A policy that reads the client's body (the WAF reads a
 * bounded prefix) hands the same bytes back with `replaceRequestBody`, instead of rebuilding
 * `c.req.raw` around them: constructing a `Request` costs more than the inspection itself on Node
 * (undici makes and links an AbortSignal per Request). Handlers read the body through these.
 */

/** The body to send upstream: what a policy put back, else the client's as it streams in. */
export function requestBodyOf(c: Context<GatewayEnv>): ReadableStream<Uint8Array> | Uint8Array | null {
  return c.get('requestBody') ?? c.req.raw.body
}

/** The same, always as a stream (for readers that consume one). */
export function requestStreamOf(c: Context<GatewayEnv>): ReadableStream<Uint8Array> | null {
  const body = requestBodyOf(c)
  return body instanceof Uint8Array ? new Response(body as Uint8Array<ArrayBuffer>).body : body
}

/** Replaces the body that goes upstream (the client's has been read, or partly read). */
export function replaceRequestBody(c: Context<GatewayEnv>, body: ReadableStream<Uint8Array> | Uint8Array): void {
  c.set('requestBody', body)
}

/**
 * Reads a whole body of at most `maxBytes`; past it the read stops (the rest is cancelled, never
 * read) and the error `tooLarge` makes is thrown. For bodies that are one message anyway.
 */
export async function readBounded(body: ReadableStream<Uint8Array> | null, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : concatBytes(chunks)
}
