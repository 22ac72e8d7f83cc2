import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { getRequestListener } from '@hono/node-server'
import { listenGrpcIngress } from './node-grpc-ingress.ts'
import { createNodeHttpClient } from './node-http-client.ts'
import { onFirstProcessSignal } from './process-signals.ts'
import { clientCertificateOf, nodeTlsServerOptions } from './tls-node.ts'
import type { Listener, Runtime, ServeOptions } from './types.ts'

async function serve({ fetch, hostname, port, tls }: ServeOptions): Promise<Listener> {
  const askClient = tls?.clientCa !== undefined
  const listener = getRequestListener((request, env) =>
    fetch(request, {
      remoteAddress: env.incoming.socket.remoteAddress,
      protocol: 'encrypted' in env.incoming.socket ? 'https' : 'http',
      clientCertificate: askClient ? clientCertificateOf(env.incoming.socket as TLSSocket) : undefined,
      onClientGone: (listener) => {
        const outgoing = env.outgoing
        outgoing.once('close', () => {
          if (!outgoing.writableFinished) listener()
        })
      },
    }),
  )
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

export function createNodeRuntime(): Runtime {
  const http = createNodeHttpClient()
  return {
    name: 'node',
    version: process.versions.node,
    env: (name) => process.env[name],
    serve,
    serveGrpc: listenGrpcIngress,
    http,
    onShutdownSignal: onFirstProcessSignal,
    writeStdout: (chunk) => void process.stdout.write(chunk),
    exit: (code) => process.exit(code),
  }
}
