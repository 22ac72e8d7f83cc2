/**
 * Baseline D: the CN shell's per-request contract and nothing more, on the runtime it is started
 * with. The floor under the gateway: what any proxy that keeps the contract pays on this runtime.
 *
 *   node --import tsx test/bench/baselines/contract-proxy.ts <port> <originUrl>
 *   bun test/bench/baselines/contract-proxy.ts <port> <originUrl>
 *   deno run -A test/bench/baselines/contract-proxy.ts <port> <originUrl>
 *
 * Per request, with the shell's own modules and the runtime adapter's listener and egress client
 * (the gateway's): the request id and trace context (kept or made), the gateway's upstream headers
 * (`forwardedFields`: the client's end-to-end headers plus `x-forwarded-*` and both ids), the
 * egress call with its timeout, hop-by-hop fields dropped from the answer, both ids echoed,
 * request count and latency, one access-log line (batched to stdout). Left out, as the gateway has them: Hono, the route table, policies,
 * the circuit breaker, admission, the OTel span, readiness and drain.
 */
import { createBatchingSink, isoNow } from '../../../internal/shell/access-log.ts'
import { stripHopByHop } from '../../../internal/shell/hop-by-hop.ts'
import { createRegistry } from '../../../internal/shell/metrics.ts'
import { requestHeader } from '../../../internal/shell/request-header.ts'
import type { Runtime } from '../../../internal/shell/runtime/types.ts'
import { continueOrStartTrace, formatTraceparent, isValidRequestId, newRequestId } from '../../../internal/shell/trace-context.ts'
import { forwardedFields } from '../../../gateway/src/proxy/forward.ts'

const TIMEOUT_MS = 30_000

async function pickRuntime(): Promise<Runtime> {
  const g = globalThis as { Bun?: unknown; Deno?: unknown }
  if (g.Bun !== undefined) return (await import('../../../internal/shell/runtime/bun.ts')).createBunRuntime()
  if (g.Deno !== undefined) return (await import('../../../internal/shell/runtime/deno.ts')).createDenoRuntime()
  return (await import('../../../internal/shell/runtime/node.ts')).createNodeRuntime()
}

const runtime = await pickRuntime()
const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2)
const port = Number(args[0])
const origin = new URL(args[1] ?? 'http://127.0.0.1:8081').origin

const sink = createBatchingSink((chunk) => runtime.writeStdout(chunk))
const metrics = createRegistry()
const requests = metrics.counter('bench_requests_total', 'Requests answered', ['route', 'class']).labels({ route: 'bench', class: '2xx' })
const latency = metrics.histogram('bench_request_duration_seconds', 'Time to response headers', ['route'], [0.001, 0.01, 0.1, 1, 10]).labels({ route: 'bench' })

await runtime.serve({
  hostname: '127.0.0.1',
  port,
  async fetch(request, info) {
    const started = performance.now()
    // Header reads as the shell does them (Node: from the adapter's raw fields, not WHATWG Headers).
    const fields = { env: info, req: { header: (name: string) => request.headers.get(name) ?? undefined } }
    const givenId = requestHeader(fields, 'x-request-id')
    const requestId = isValidRequestId(givenId) ? givenId : newRequestId()
    const givenParent = requestHeader(fields, 'traceparent')
    const trace = continueOrStartTrace(givenParent, givenParent === undefined ? undefined : requestHeader(fields, 'tracestate'))
    const traceparent = formatTraceparent(trace)
    const url = request.url
    const path = url.slice(url.indexOf('/', url.indexOf('//') + 2))

    // The gateway's own upstream headers; then Host dropped, as its forwarder does by default.
    const headers = forwardedFields(info, request, requestHeader(fields, 'host'), requestId, traceparent)
    headers.delete('host')
    const method = request.method
    const res = await runtime.http({
      origin,
      path,
      method,
      headers,
      body: method === 'GET' || method === 'HEAD' ? null : request.body,
      timeoutMs: TIMEOUT_MS,
      onClientGone: info.onClientGone,
    })

    let response: Response
    if (res.fields) {
      res.fields['x-request-id'] = requestId
      res.fields.traceparent = traceparent
      response = new Response(res.body, { status: res.status, headers: res.fields as Record<string, string> })
    } else {
      response = res.response ?? new Response(res.body, { status: res.status, headers: res.headers })
      stripHopByHop(response.headers)
      response.headers.set('x-request-id', requestId)
      response.headers.set('traceparent', traceparent)
    }
    const seconds = (performance.now() - started) / 1000
    requests.inc()
    latency.observe(seconds)
    sink.entry({ time: isoNow(), requestId, traceId: trace.traceId, routeId: 'bench', method, path, status: res.status, durationMs: seconds * 1000, remote: info.remoteAddress })
    return response
  },
})
console.log(`contract proxy (${runtime.name}) on 127.0.0.1:${port} -> ${origin}`)
