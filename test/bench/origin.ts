/**
 * The bench origin: a cheap node:http server answering every request with 200 and a small
 * fixed body over keep-alive. Usage: node --import tsx test/bench/origin.ts <port>
 */
import { createServer } from 'node:http'

const port = Number(process.argv[2] ?? 0)
// ~100 bytes; the marker lets the harness check a target really forwards to this origin.
const ORIGIN_MARKER = 'gatehouse-bench-origin'
const body = Buffer.from(`{"ok":true,"from":"${ORIGIN_MARKER}","pad":"${'x'.repeat(52)}"}\n`)

const server = createServer((req, res) => {
  // Drain any request body, then answer.
  req.resume()
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': body.length,
  })
  res.end(body)
})
server.keepAliveTimeout = 65_000
server.headersTimeout = 66_000
server.listen(port, '127.0.0.1', () => {
  const addr = server.address()
  console.log(`origin listening on 127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}`)
})
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0))
