import type { Context } from 'hono'
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
