import { withinDeadline } from './deadline.ts'
import { createFetchHttpClient } from './fetch-http-client.ts'
import { onFirstProcessSignal } from './process-signals.ts'
import type { Listener, Runtime, ServeOptions } from './types.ts'

async function serve({ fetch, hostname, port }: ServeOptions): Promise<Listener> {
  const server = Bun.serve({
    hostname,
    port,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER, // bodies stream; never buffered whole
    idleTimeout: 255, // seconds, Bun's maximum: long uploads and slow upstreams must not be cut
    fetch: (request, srv) =>
      fetch(request, {
        remoteAddress: srv.requestIP(request)?.address,
        protocol: 'http',
        onClientGone: (listener) => request.signal.addEventListener('abort', listener, { once: true }),
      }),
  })
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
    // Bun's fetch decompresses by default; a proxy must pass bytes through untouched.
    http: createFetchHttpClient({ decompress: false }),
    onShutdownSignal: onFirstProcessSignal,
    writeStdout: (chunk) => void process.stdout.write(chunk),
    exit: (code) => process.exit(code),
  }
}
