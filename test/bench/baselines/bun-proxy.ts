/**
 * Baseline B: bare Bun.serve + fetch proxy.
 * Usage: bun test/bench/baselines/bun-proxy.ts <port> <originUrl>
 */
declare const Bun: {
  serve(options: { hostname: string; port: number; fetch(req: Request): Response | Promise<Response> }): unknown
}

const port = Number(process.argv[2])
const origin = new URL(process.argv[3] ?? 'http://127.0.0.1:8081')

Bun.serve({
  hostname: '127.0.0.1',
  port,
  fetch(req) {
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
})
console.log(`Bun.serve proxy on 127.0.0.1:${port} -> ${origin.origin}`)
