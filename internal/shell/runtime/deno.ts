import { withinDeadline } from './deadline.ts'
import { createFetchHttpClient } from './fetch-http-client.ts'
import type { Listener, Runtime, ServeOptions } from './types.ts'

async function serve({ fetch, hostname, port }: ServeOptions): Promise<Listener> {
  let resolve: (addr: { port: number }) => void = () => {}
  const listening = new Promise<{ port: number }>((r) => {
    resolve = r
  })
  const server = Deno.serve({ hostname, port, onListen: (addr) => resolve(addr) }, (request, info) =>
    fetch(request, {
      remoteAddress: info.remoteAddr.hostname,
      protocol: 'http',
      onClientGone: (listener) => request.signal.addEventListener('abort', listener, { once: true }),
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
  return {
    name: 'deno',
    version: Deno.version.deno,
    env: (name) => Deno.env.get(name),
    serve,
    http: createFetchHttpClient(),
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
    writeStdout: (chunk) => writeAll(encoder.encode(chunk)),
    exit: (code) => Deno.exit(code),
  }
}
