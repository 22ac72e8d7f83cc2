import { CoarseTimers } from '../coarse-timers.ts'
import { whenAborted } from './client-gone.ts'
import { withinDeadline } from './deadline.ts'
import { createFetchHttpClient } from './fetch-http-client.ts'
import { listenGrpcIngress } from './node-grpc-ingress.ts'
import type { Listener, Runtime, ServeOptions } from './types.ts'

async function serve({ fetch, hostname, port, tls }: ServeOptions): Promise<Listener> {
  if (tls?.clientCa !== undefined) {
    // Tried with Deno 2.9.5: Deno.serve ignores requestCert/caCerts and never asks for a certificate.
    throw new Error('Deno.serve does not ask for client certificates: use the node runtime for --client-ca')
  }
  const protocol = tls ? 'https' : 'http'
  let resolve: (addr: { port: number }) => void = () => {}
  const listening = new Promise<{ port: number }>((r) => {
    resolve = r
  })
  const options = { hostname, port, onListen: (addr: { port: number }) => resolve(addr), ...(tls ? { cert: tls.cert, key: tls.key } : {}) }
  const server = Deno.serve(options, (request, info) =>
    fetch(request, {
      remoteAddress: info.remoteAddr.hostname,
      protocol,
      onClientGone: (listener) => whenAborted(request.signal, listener),
    }),
  )
  const addr = await listening
  return {
    hostname,
    port: addr.port,
    // shutdown() stops accepting and waits for responses in flight; past the deadline we stop
    // waiting and let the process exit close what is left.
    drain: (deadlineMs) => withinDeadline(server.shutdown(), deadlineMs, () => {}),
  }
}

const encoder = new TextEncoder()

function writeAll(data: Uint8Array): void {
  let offset = 0
  while (offset < data.length) offset += Deno.stdout.writeSync(data.subarray(offset))
}

export function createDenoRuntime(): Runtime {
  // Egress timeouts on one wheel: a Deno timer per call cost ~9 µs a request (coarse-timers.ts).
  const timeouts = new CoarseTimers(10)
  return {
    name: 'deno',
    version: Deno.version.deno,
    env: (name) => Deno.env.get(name),
    serve,
    serveGrpc: listenGrpcIngress, // Deno's node:http2 runs it, client certificates included (tried, 2.9.5)
    http: createFetchHttpClient({}, { timeouts, headerRecords: true }),
    // Deno's fetch takes TLS material through an HttpClient (tried, 2.9.5: the certificate is presented).
    httpWithTls: (tls) =>
      createFetchHttpClient({ client: Deno.createHttpClient({ cert: tls.cert, key: tls.key, caCerts: tls.ca === undefined ? undefined : [tls.ca] }) }, { timeouts, headerRecords: true }),
    onShutdownSignal(handler) {
      let fired = false
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        Deno.addSignalListener(signal, () => {
          if (fired) Deno.exit(130) // a second signal: stop waiting for the drain
          fired = true
          handler(signal)
        })
      }
    },
    writeStdout: (chunk) => writeAll(typeof chunk === 'string' ? encoder.encode(chunk) : chunk),
    exit: (code) => Deno.exit(code),
  }
}
