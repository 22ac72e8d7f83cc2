import type { ConnInfo } from '../env.ts'
import type { HttpExchange } from '../http-client.ts'

export type RuntimeName = 'node' | 'bun' | 'deno'

export type FetchHandler = (request: Request, info: ConnInfo) => Response | Promise<Response>

/** PEM material of a TLS listener (see README.md for what each runtime supports). */
export interface TlsListenerOptions {
  /** The server's certificate chain, leaf first. */
  readonly cert: string
  readonly key: string
  /** CAs that sign client certificates; absent = no client certificate is asked for. */
  readonly clientCa?: string | undefined
  /**
   * `optional` (default): asked for, verified, and passed on as ConnInfo.clientCertificate (valid or
   * not); each route's `mtls` policy decides. `required`: no handshake without a valid one.
   */
  readonly clientCert?: 'optional' | 'required' | undefined
}

/** PEM material of the egress client toward `https://` upstreams. */
export interface EgressTls {
  /** This node's certificate chain and key, presented when an upstream asks (both or neither). */
  readonly cert?: string | undefined
  readonly key?: string | undefined
  /** CAs that sign the upstreams' certificates; absent = the runtime's default roots. */
  readonly ca?: string | undefined
}

export interface ServeOptions {
  readonly fetch: FetchHandler
  readonly hostname: string
  /** 0 picks a free port. */
  readonly port: number
  /** HTTPS instead of cleartext HTTP. */
  readonly tls?: TlsListenerOptions | undefined
}

export interface Listener {
  readonly hostname: string
  readonly port: number
  /**
   * Stops accepting connections at once, lets requests in flight finish (responses fully sent)
   * until `deadlineMs`, then closes whatever is left. Resolves when the listener is closed.
   */
  drain(deadlineMs: number): Promise<void>
}

/** Everything a node needs from the runtime it runs on. One implementation per runtime. */
export interface Runtime {
  readonly name: RuntimeName
  readonly version: string
  env(name: string): string | undefined
  serve(options: ServeOptions): Promise<Listener>
  /**
   * An HTTP/2 listener for native gRPC clients (h2c, or TLS with ALPN h2) that hands each call to
   * `fetch` as gRPC-web and answers with real HTTP/2 trailers. Only where the runtime has one (Node).
   */
  readonly serveGrpc?: ((options: ServeOptions) => Promise<Listener>) | undefined
  /** The egress HTTP client (keep-alive pools per origin). */
  readonly http: HttpExchange
  /** Another egress client, with TLS material for `https://` upstreams (mutual TLS east-west). */
  httpWithTls(tls: EgressTls): HttpExchange
  /** Called once on the first SIGTERM or SIGINT; a second signal exits at once (code 130). */
  onShutdownSignal(handler: (signal: string) => void): void
  /** Writes to stdout without a newline added. */
  writeStdout(chunk: string | Uint8Array): void
  exit(code: number): never
}
