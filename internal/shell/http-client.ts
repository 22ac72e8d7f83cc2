/**
 * The egress HTTP exchange every runtime adapter provides (Node: undici pools; Bun and Deno:
 * their own fetch). It is deliberately dumb: no header rewriting, no retries. It rejects only
 * with a GatewayError: UNAVAILABLE (refused, reset, DNS), TIMEOUT or CANCELED (from `signal`).
 */

export interface UpstreamRequest {
  /** Absolute URL: origin of the endpoint + path and query to send. */
  readonly url: string
  readonly method: string
  readonly headers: Headers
  readonly body: ReadableStream<Uint8Array> | null
  /** Aborted with a GatewayError (TIMEOUT, CANCELED) as its reason. */
  readonly signal: AbortSignal
}

/** Returns the upstream's response as it came (status, headers, streaming body), any status. */
export type HttpExchange = (request: UpstreamRequest) => Promise<Response>
