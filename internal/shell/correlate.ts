import { context as otelContext } from '@opentelemetry/api'
import type { MiddlewareHandler } from 'hono'
import { formatAccessLog, isoNow } from './access-log.ts'
import type { AccessLogEntry, LogSink } from './access-log.ts'
import type { ShellEnv } from './env.ts'
import type { Lifecycle } from './lifecycle.ts'
import type { CounterChild, HistogramChild, Registry } from './metrics.ts'
import { requestHeader } from './request-header.ts'
import { applyResponseFields } from './response-fields.ts'
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
  // Series per route, so a request costs one Map lookup instead of two label keys built and looked up.
  // The sink's own entry writer when it has one (the batching sink writes the bytes directly).
  const logAccess: ((e: AccessLogEntry) => void) | undefined =
    accessLog === undefined ? undefined : (accessLog.entry?.bind(accessLog) ?? ((e) => accessLog(formatAccessLog(e))))
  const perRoute = new Map<string, RouteSeries>()
  const seriesOf = (route: string): RouteSeries => {
    let series = perRoute.get(route)
    if (series === undefined) {
      const byClass: CounterChild[] = []
      series = {
        byClass: (index) => (byClass[index] ??= requests.labels({ route, class: STATUS_CLASS[index]! })),
        latency: latency.labels({ route }),
      }
      perRoute.set(route, series)
    }
    return series
  }

  return async function correlate(c, next) {
    const started = performance.now()
    const leave = lifecycle.enter()
    inFlight.inc()
    const incomingId = requestHeader(c, 'x-request-id')
    const requestId = isValidRequestId(incomingId) ? incomingId : newRequestId()
    const incomingParent = requestHeader(c, 'traceparent')
    const trace = continueOrStartTrace(incomingParent, incomingParent === undefined ? undefined : requestHeader(c, 'tracestate'))
    const { span, context, traceparent, traceId } = startServerSpan(c.req.method, trace, { 'http.request.method': c.req.method })
    c.set('requestId', requestId)
    c.set('traceparent', traceparent)
    c.set('responseFields', { 'x-request-id': requestId, traceparent })
    c.set('routeId', '-')
    c.set('remoteAddress', c.env?.remoteAddress)
    try {
      await (context ? otelContext.with(context, next) : next())
    } finally {
      inFlight.dec()
      leave()
    }
    applyResponseFields(c)
    if (lifecycle.state === 'draining') c.res.headers.set('connection', 'close')
    const status = c.res.status
    const seconds = (performance.now() - started) / 1000
    const routeId = c.get('routeId')
    const series = seriesOf(routeId)
    series.byClass(status >= 100 && status < 600 ? Math.floor(status / 100) : 5).inc()
    series.latency.observe(seconds)
    span.setAttribute('http.response.status_code', status)
    span.end()
    if (logAccess) {
      const error = c.get('error')
      logAccess({
        time: isoNow(),
        requestId,
        traceId,
        routeId,
        method: c.req.method,
        path: c.req.path,
        status,
        durationMs: seconds * 1000,
        remote: c.env?.remoteAddress,
        error: error?.code,
      })
    }
  }
}

interface RouteSeries {
  /** The request counter of a status class (index = status / 100). */
  byClass(index: number): CounterChild
  readonly latency: HistogramChild
}
