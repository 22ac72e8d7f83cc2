import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { getRequestListener } from '@hono/node-server'
import { listenGrpcIngress } from './node-grpc-ingress.ts'
import { createNodeHttpClient } from './node-http-client.ts'
import { lingerAfterResponse } from './node-linger.ts'
import { onFirstProcessSignal } from './process-signals.ts'
import { clientCertificateOf, nodeTlsServerOptions } from './tls-node.ts'
import type { Listener, Runtime, ServeOptions } from './types.ts'
import type { ClientCertificate, ConnInfo } from '../env.ts'

async function serve({ fetch, hostname, port, tls }: ServeOptions): Promise<Listener> {
  const askClient = tls?.clientCa !== undefined
  // Not @hono/node-server's clean-up of unread bodies (it closes the connection 500 ms after the
  // response): ours lets a slow upload that was answered early finish (node-linger.ts). With it
  // off, node-server hands the body over as Readable.toWeb(incoming), without its own wrapper
  // (which could also replay a body that arrived whole before its client disconnected).
  const respond = getRequestListener((request, env) => fetch(request, new NodeConnInfo(env.incoming, env.outgoing, askClient)), {
    autoCleanupIncoming: false,
  })
  const listener = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    if (incoming.method !== 'GET' && incoming.method !== 'HEAD') outgoing.once('finish', () => lingerAfterResponse(incoming))
    return respond(incoming, outgoing)
  }
  const httpOptions = {
    requestTimeout: 0, // a 1 GiB upload may take long; headersTimeout still bounds slow clients
    headersTimeout: 30_000,
    keepAliveTimeout: 5_000,
    maxHeaderSize: 32 * 1024,
  }
  const server = tls ? createHttpsServer({ ...httpOptions, ...nodeTlsServerOptions(tls) }, listener) : createServer(httpOptions, listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, hostname, () => resolve())
  })
  const address = server.address() as AddressInfo
  return {
    hostname,
    port: address.port,
    drain(deadlineMs) {
      return new Promise<void>((resolve) => {
        const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs)
        // Keep-alive connections that go idle while draining are closed as they do.
        const sweep = setInterval(() => server.closeIdleConnections(), 100)
        server.close(() => {
          clearTimeout(deadline)
          clearInterval(sweep)
          resolve()
        })
        server.closeIdleConnections()
      })
    },
  }
}

/**
 * What a request's handlers learn of its connection. A class with a getter rather than an object
 * literal with a closure: it is built per request, and under tsx (keepNames) every named closure
 * costs a defineProperty call.
 */
class NodeConnInfo implements ConnInfo {
  readonly remoteAddress: string | undefined
  readonly rawHeaders: readonly string[]
  readonly protocol: 'http' | 'https'
  readonly clientCertificate: ClientCertificate | undefined
  readonly #outgoing: ServerResponse | Http2ServerResponse

  constructor(incoming: IncomingMessage | Http2ServerRequest, outgoing: ServerResponse | Http2ServerResponse, askClient: boolean) {
    const socket = incoming.socket
    this.remoteAddress = socket.remoteAddress
    this.rawHeaders = incoming.rawHeaders
    this.protocol = 'encrypted' in socket ? 'https' : 'http'
    this.clientCertificate = askClient ? clientCertificateOf(socket as TLSSocket) : undefined
    this.#outgoing = outgoing
  }

  /** Handlers pass this on detached (to the egress client), so it is bound when first read. */
  get onClientGone(): (listener: () => void) => void {
    const outgoing = this.#outgoing
    return (listener) => {
      // `on`, not `once`: a response closes once, and `once` wraps every listener per request.
      outgoing.on('close', () => {
        if (!outgoing.writableFinished) listener()
      })
    }
  }
}

export function createNodeRuntime(): Runtime {
  const http = createNodeHttpClient()
  return {
    name: 'node',
    version: process.versions.node,
    env: (name) => process.env[name],
    serve,
    serveGrpc: listenGrpcIngress,
    http,
    httpWithTls: (tls) => createNodeHttpClient({ tls }),
    onShutdownSignal: onFirstProcessSignal,
    writeStdout: (chunk) => void process.stdout.write(chunk),
    exit: (code) => process.exit(code),
  }
}
