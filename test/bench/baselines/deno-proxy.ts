/**
 * Baseline C: bare Deno.serve + fetch proxy.
 * Usage: deno run -A test/bench/baselines/deno-proxy.ts <port> <originUrl>
 */
declare const Deno: {
  args: string[]
  serve(
    options: { hostname: string; port: number; onListen?: () => void },
    handler: (req: Request) => Response | Promise<Response>,
  ): unknown
}

const port = Number(Deno.args[0])
const origin = new URL(Deno.args[1] ?? 'http://127.0.0.1:8081')

Deno.serve(
  {
    hostname: '127.0.0.1',
    port,
    onListen: () => console.log(`Deno.serve proxy on 127.0.0.1:${port} -> ${origin.origin}`),
  },
  (req) => {
    const url = new URL(req.url)
    const headers = new Headers(req.headers)
    headers.delete('host')
    return fetch(origin.origin + url.pathname + url.search, {
      method: req.method,
      headers,
      body: req.body,
      redirect: 'manual',
    })
  },
)
