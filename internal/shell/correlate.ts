import { context as otelContext } from '@opentelemetry/api'
import type { MiddlewareHandler } from 'hono'
import { formatAccessLog } from './access-log.ts'
import type { LogSink } from './access-log.ts'
import type { ShellEnv } from './env.ts'
import type { Lifecycle } from './lifecycle.ts'
import type { Registry } from './metrics.ts'
import { startServerSpan } from './otel.ts'
import { continueOrStartTrace, isValidRequestId, newRequestId } from './trace-context.ts'

/** Seconds; from 1 ms to 10 s, Prometheus-style. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const STATUS_CLASS = ['1xx', '1xx', '2xx', '3xx', '4xx', '5xx']

export interface CorrelateOptions {
  readonly lifecycle: Lifecycle
  readonly metrics: Registry
  /** Where access-log lines go; undefined = no access log. */
  readonly accessLog: LogSink | undefined
}

/**
 * Per request: the request id (kept if valid, else made) and trace context (continued or
 * started), an OTel server span when an SDK is registered, both ids echoed to the client,
 * request count and latency by route and status class, the in-flight gauge, one access-log line.
 */
export function createCorrelate({ lifecycle, metrics, accessLog }: CorrelateOptions): MiddlewareHandler<ShellEnv> {
  const requests = metrics.counter('gatehouse_http_requests_total', 'Requests answered, by route and status class', [
    'route',
    'class',
  ])
  const latency = metrics.histogram('gatehouse_http_request_duration_seconds', 'Time to response headers, by route', ['route'], LATENCY_BUCKETS)
  const inFlight = metrics.gauge('gatehouse_http_requests_in_flight', 'Requests awaiting their response headers')

  return async function correlate(c, next) {
    const started = performance.now()
    const leave = lifecycle.enter()
    inFlight.inc()
    const incomingId = c.req.header('x-request-id')
    const requestId = isValidRequestId(incomingId) ? incomingId : newRequestId()
    const trace = continueOrStartTrace(c.req.header('traceparent'), c.req.header('tracestate'))
    const { span, context, traceparent, traceId } = startServerSpan(c.req.method, trace, { 'http.request.method': c.req.method })
    c.set('requestId', requestId)
    c.set('traceparent', traceparent)
    c.set('routeId', '-')
    c.set('remoteAddress', c.env?.remoteAddress)
    try {
      await (context ? otelContext.with(context, next) : next())
    } finally {
      inFlight.dec()
      leave()
    }
    let res = c.res
    try {
      res.headers.set('x-request-id', requestId)
    } catch {
      res = c.res = new Response(res.body, res) // immutable headers (a fetch Response): copy once
      res.headers.set('x-request-id', requestId)
    }
    res.headers.set('traceparent', traceparent)
    if (lifecycle.state === 'draining') res.headers.set('connection', 'close')
    const status = res.status
    const seconds = (performance.now() - started) / 1000
    const routeId = c.get('routeId')
    requests.inc({ route: routeId, class: STATUS_CLASS[Math.floor(status / 100)] ?? '5xx' })
    latency.observe(seconds, { route: routeId })
    span.setAttribute('http.response.status_code', status)
    span.end()
    if (accessLog) {
      const error = c.get('error')
      accessLog(
        formatAccessLog({
          time: new Date().toISOString(),
          requestId,
          traceId,
          routeId,
          method: c.req.method,
          path: c.req.path,
          status,
          durationMs: seconds * 1000,
          remote: c.env?.remoteAddress,
          error: error?.code,
        }),
      )
    }
  }
}
