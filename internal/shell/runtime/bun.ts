import { whenAborted } from './client-gone.ts'
import { withinDeadline } from './deadline.ts'
import { createFetchHttpClient } from './fetch-http-client.ts'
import { listenGrpcIngress } from './node-grpc-ingress.ts'
import { onFirstProcessSignal } from './process-signals.ts'
import type { Listener, Runtime, ServeOptions, TlsListenerOptions } from './types.ts'

/**
 * Bun.serve's TLS. It can check client certificates in the handshake but tells a request nothing
 * about them (tried with Bun 1.4.5: no peer certificate on the server or the request), so only
 * `required` works here; per-route `mtls` needs the Node listener. See README.md.
 */
function bunTls(tls: TlsListenerOptions) {
  if (tls.clientCa === undefined) return { cert: tls.cert, key: tls.key }
  if (tls.clientCert !== 'required') {
    throw new Error('Bun.serve cannot hand client certificates to routes: use --client-cert required (checked in the handshake) or the node runtime')
  }
  return { cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }
}

async function serve({ fetch, hostname, port, tls }: ServeOptions): Promise<Listener> {
  const protocol = tls ? 'https' : 'http'
  // Not a literal: globals.d.ts declares only the options the cleartext listener uses.
  const options = {
    hostname,
    port,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER, // bodies stream; never buffered whole
    idleTimeout: 255, // seconds, Bun's maximum: long uploads and slow upstreams must not be cut
    ...(tls ? { tls: bunTls(tls) } : {}),
    fetch: (request: Request, srv: BunServer) =>
      fetch(request, {
        remoteAddress: srv.requestIP(request)?.address,
        protocol,
        onClientGone: (listener) => whenAborted(request.signal, listener),
      }),
  }
  const server = Bun.serve(options)
  return {
    hostname,
    port: server.port,
    drain: (deadlineMs) => withinDeadline(server.stop(false), deadlineMs, () => server.stop(true)),
  }
}

export function createBunRuntime(): Runtime {
  return {
    name: 'bun',
    version: Bun.version,
    env: (name) => process.env[name],
    serve,
    serveGrpc: listenGrpcIngress, // node:http2 works on Bun 1.4.5, client certificates included (tried)
    // Bun's fetch decompresses by default; a proxy must pass bytes through untouched.
    http: createFetchHttpClient({ decompress: false }, { mutableResponses: true }),
    // Bun's fetch takes node-style TLS options (tried, 1.4.5: the certificate is presented).
    httpWithTls: (tls) => createFetchHttpClient({ decompress: false, tls: { cert: tls.cert, key: tls.key, ca: tls.ca } }, { mutableResponses: true }),
    onShutdownSignal: onFirstProcessSignal,
    writeStdout: (chunk) => void process.stdout.write(chunk),
    exit: (code) => process.exit(code),
  }
}
