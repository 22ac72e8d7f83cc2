import type { ConnInfo } from '../env.ts'
import type { HttpExchange } from '../http-client.ts'

export type RuntimeName = 'node' | 'bun' | 'deno'

export type FetchHandler = (request: Request, info: ConnInfo) => Response | Promise<Response>

export interface ServeOptions {
  readonly fetch: FetchHandler
  readonly hostname: string
  /** 0 picks a free port. */
  readonly port: number
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
  /** The egress HTTP client (keep-alive pools per origin). */
  readonly http: HttpExchange
  /** Called once on the first SIGTERM or SIGINT; a second signal exits at once (code 130). */
  onShutdownSignal(handler: (signal: string) => void): void
  /** Writes to stdout without a newline added. */
  writeStdout(chunk: string): void
  exit(code: number): never
}
