// The few Bun and Deno APIs our runtime adapters use, declared here so that the typecheck
// (run by Node's tsc) needs neither runtime's full type package.

interface BunServer {
  readonly port: number
  readonly hostname: string
  requestIP(request: Request): { address: string } | null
  stop(closeActiveConnections?: boolean): Promise<void>
}

declare const Bun: {
  readonly version: string
  serve(options: {
    hostname: string
    port: number
    maxRequestBodySize?: number
    idleTimeout?: number
    fetch(request: Request, server: BunServer): Response | Promise<Response>
    error?(error: Error): Response
  }): BunServer
}

interface DenoHttpServer {
  readonly addr: { hostname: string; port: number }
  readonly finished: Promise<void>
  shutdown(): Promise<void>
}

declare const Deno: {
  readonly version: { deno: string }
  readonly env: { get(name: string): string | undefined }
  serve(
    options: { hostname: string; port: number; onListen?(addr: { hostname: string; port: number }): void; onError?(error: unknown): Response },
    handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): DenoHttpServer
  createHttpClient(options: { cert?: string | undefined; key?: string | undefined; caCerts?: string[] | undefined }): unknown
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void
  readonly stdout: { writeSync(data: Uint8Array): number }
  exit(code: number): never
}
