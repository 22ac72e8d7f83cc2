import type { Hono, MiddlewareHandler } from 'hono'
import type { GatewayError } from './errors.ts'

/** What the CN shell puts on every request's context, for every node. */
export interface ShellVariables {
  /** The request's `x-request-id`: the caller's if valid, generated otherwise. */
  requestId: string
  /** The `traceparent` this node sends upstream and echoes to the client (our span as parent). */
  traceparent: string
  /** The route/handler name for logs and metrics; nodes set it once they know it. */
  routeId: string
  /** The peer address as the runtime saw it (not x-forwarded-for). */
  remoteAddress: string | undefined
  /**
   * Headers for the response, set by the shell whatever answers: `x-request-id`, `traceparent`,
   * and what middleware sets on `queuedResponseFields` (response-fields.ts). Lower-case names.
   */
  responseFields: Record<string, string>
  /** The response `respondWithFields` built (its headers already hold `responseFields`). */
  fieldsWritten: Response | undefined
  /** The error this request failed with, set by the shell's error renderer (for the access log). */
  error: GatewayError | undefined
}

/** Per-connection facts the runtime adapter hands to `fetch` as its second argument. */
export interface ConnInfo {
  remoteAddress?: string
  /** `http` or `https` as accepted by the listener. */
  protocol?: 'http' | 'https'
  /** Registers a listener called once if the client disconnects before its response is complete. */
  onClientGone?: (listener: () => void) => void
  /**
   * The request's header fields as the runtime received them, `name, value, ...` (Node's
   * `rawHeaders`): cheaper to copy than the Request's WHATWG Headers. Absent elsewhere.
   */
  rawHeaders?: readonly string[] | undefined
  /** The client certificate of a TLS listener that asks for one; absent when none was presented. */
  clientCertificate?: ClientCertificate | undefined
}

/** What the runtime's TLS stack saw of a client certificate (the `mtls` policy decides on it). */
export interface ClientCertificate {
  /** The chain verified against the listener's client CA bundle, within its validity period. */
  readonly authorized: boolean
  /** Why not, in the TLS stack's words (`CERT_HAS_EXPIRED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, ...). */
  readonly authorizationError?: string | undefined
  readonly subjectCN?: string | undefined
  readonly issuerCN?: string | undefined
  /** SAN URIs (`spiffe://...`), in certificate order. */
  readonly uris: readonly string[]
  /** Validity period, ms since the epoch (NaN when unreadable). */
  readonly notBefore: number
  readonly notAfter: number
  /** SHA-256 of the DER certificate, colon-separated hex as the TLS stack prints it. */
  readonly fingerprint256?: string | undefined
}

export type ShellEnv<V extends object = object> = { Bindings: ConnInfo; Variables: ShellVariables & V }
export type ShellApp<V extends object = object> = Hono<ShellEnv<V>>
export type ShellMiddleware<V extends object = object> = MiddlewareHandler<ShellEnv<V>>
