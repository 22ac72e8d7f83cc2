/**
 * Baseline A: a plain node:http reverse proxy, keep-alive Agent, streaming with pipe.
 * Usage: node --import tsx test/bench/baselines/node-http-proxy.ts <port> <originUrl>
 */
import http from 'node:http'

const port = Number(process.argv[2])
const origin = new URL(process.argv[3] ?? 'http://127.0.0.1:8081')
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 })

const server = http.createServer((req, res) => {
  const upstream = http.request(
    {
      host: origin.hostname,
      port: origin.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: origin.host },
      agent,
    },
    (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers)
      ures.pipe(res)
    },
  )
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502)
    res.end()
  })
  req.pipe(upstream)
})
server.keepAliveTimeout = 65_000
server.listen(port, '127.0.0.1', () => console.log(`node:http proxy on 127.0.0.1:${port} -> ${origin.origin}`))
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0))
