import type { MutableFields } from './field-list.ts'

/**
 * The egress HTTP exchange every runtime adapter provides (Node: undici pools; Bun and Deno:
 * their own fetch). It is deliberately dumb: no header rewriting, no retries. It rejects only
 * with a GatewayError: UNAVAILABLE (refused, reset, DNS), TIMEOUT or CANCELED.
 */

export interface UpstreamRequest {
  /** `http://host:port` of the endpoint. */
  readonly origin: string
  /** Path and query to send, as received (percent-encoding kept). */
  readonly path: string
  readonly method: string
  /** A FieldList (the gateway's forwarded requests) goes out as it is, without a copy. */
  readonly headers: MutableFields
  /** Streamed, or bytes known whole (a unary RPC message): sent without stream machinery. */
  readonly body: ReadableStream<Uint8Array> | Uint8Array | null
  /** Time allowed until the response headers arrive; past it the exchange rejects with TIMEOUT. */
  readonly timeoutMs: number
  /** From the runtime's ConnInfo: when the client leaves, the exchange is abandoned (CANCELED). */
  readonly onClientGone?: ((listener: () => void) => void) | undefined
}

export interface UpstreamResponse {
  readonly status: number
  /** A fresh Headers object the caller owns and may edit (never a fetch Response's immutable one). */
  readonly headers: Headers
  /**
   * The end-to-end headers (hop-by-hop ones left out) as a fresh plain record the caller owns,
   * lower-case names, a multi-valued field as an array, when the runtime's client has them that
   * way (Node): cheaper to forward than `headers`, which is then only built when read.
   */
  readonly fields?: Record<string, string | string[]> | undefined
  /**
   * The runtime's own response, when its headers may be edited (Bun): a handler that forwards the
   * answer unchanged returns it as is (headers edited in place), so the body is piped natively.
   */
  readonly response?: Response | undefined
  /** A small body may arrive whole; larger ones stream. */
  readonly body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer> | null
}

/** Returns the upstream's answer as it came (any status), body streaming. */
export type HttpExchange = (request: UpstreamRequest) => Promise<UpstreamResponse>

/** An answer whose headers are a plain record (`fields`); the WHATWG `headers` are only built if someone reads them. */
export class FieldsResponse implements UpstreamResponse {
  #headers: Headers | undefined
  constructor(
    readonly status: number,
    readonly fields: Record<string, string | string[]>,
    readonly body: UpstreamResponse['body'],
  ) {}

  get headers(): Headers {
    if (this.#headers === undefined) {
      const headers = (this.#headers = new Headers())
      for (const name in this.fields) {
        const value = this.fields[name]
        if (typeof value === 'string') headers.append(name, value)
        else if (value) for (const v of value) headers.append(name, v)
      }
    }
    return this.#headers
  }
}
