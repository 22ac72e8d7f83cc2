import { context as otelContext } from '@opentelemetry/api'
import { Hono } from 'hono'
import { createLogger, formatAccessLog } from './access-log.ts'
import type { LogSink } from './access-log.ts'
import type { ShellEnv } from './env.ts'
import { GatewayError, renderProblem, toGatewayError } from './errors.ts'
import { createLifecycle } from './lifecycle.ts'
import type { Lifecycle } from './lifecycle.ts'
import { createRegistry, PROMETHEUS_CONTENT_TYPE } from './metrics.ts'
import type { Registry } from './metrics.ts'
import { startServerSpan } from './otel.ts'
import { continueOrStartTrace, isValidRequestId, newRequestId } from './trace-context.ts'

export interface ShellOptions {
  /** The node's role, e.g. `gateway`; a label on logs and metrics. */
  readonly node: string
  readonly runtime: { readonly name: string; readonly version: string }
  readonly version: string
  /** Where log lines go (the runtime adapter's stdout, batched). */
  readonly sink: LogSink
  /** Enables `/debug/*` behind `Authorization: Bearer <token>`; absent = `/debug/*` is 404. */
  readonly debugToken?: string | undefined
  /** Write one access-log line per request (default true). */
  readonly accessLog?: boolean
}

export type Logger = ReturnType<typeof createLogger>

export interface Shell<V extends object> {
  /** The node's app: shell planes and correlation are mounted; the node adds its handlers. */
  readonly app: Hono<ShellEnv<V>>
  readonly lifecycle: Lifecycle
  readonly metrics: Registry
  readonly log: Logger
  /** Adds a JSON view at `/debug/<name>` (only served when a debug token is configured). */
  addDebugView(name: string, view: () => unknown): void
}

/** Compares without an early exit, so response time does not reveal how much of a secret matched. */
function sameSecret(given: string, expected: string): boolean {
  let diff = given.length ^ expected.length
  for (let i = 0; i < expected.length; i++) diff |= (given.charCodeAt(i) || 0) ^ expected.charCodeAt(i)
  return diff === 0
}

/** Seconds; from 1 ms to 10 s, Prometheus-style. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const STATUS_CLASS = ['1xx', '1xx', '2xx', '3xx', '4xx', '5xx']

/**
 * The CN shell: health, readiness, metrics, debug views, request ids, trace context, access
 * logs and the error renderer, around whatever a node mounts on `shell.app`.
 * Reserved paths: `/health/live`, `/health/ready`, `/metrics`, `/debug/*`.
 */
export function createShell<V extends object = object>(options: ShellOptions): Shell<V> {
  const lifecycle = createLifecycle()
  const metrics = createRegistry()
  const log = createLogger(options.sink, options.node)
  const debugViews = new Map<string, () => unknown>()
  const requests = metrics.counter('gatehouse_http_requests_total', 'Requests answered, by route and status class', [
    'route',
    'class',
  ])
  const latency = metrics.histogram(
    'gatehouse_http_request_duration_seconds',
    'Time to response headers, by route',
    ['route'],
    LATENCY_BUCKETS,
  )
  const inFlight = metrics.gauge('gatehouse_http_requests_in_flight', 'Requests awaiting their response headers')
  metrics
    .gauge('gatehouse_node_info', 'Node role, runtime and version', ['node', 'runtime', 'runtime_version', 'version'])
    .set(1, { node: options.node, runtime: options.runtime.name, runtime_version: options.runtime.version, version: options.version })

  const nodeApp = new Hono<ShellEnv<V>>()
  // The shell's own handlers only use the shell's variables.
  const app = nodeApp as unknown as Hono<ShellEnv>
  app.get('/health/live', (c) => c.json({ status: 'live' }))
  app.get('/health/ready', (c) => {
    const readiness = lifecycle.readiness()
    return c.json(readiness, readiness.ready ? 200 : 503)
  })
  app.get('/metrics', (c) => c.body(metrics.render(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }))
  app.get('/debug/:view', (c) => {
    const view = debugViews.get(c.req.param('view'))
    const token = options.debugToken
    if (!token || !view) throw new GatewayError('NOT_FOUND', 'not found')
    if (!sameSecret(c.req.header('authorization') ?? '', `Bearer ${token}`)) {
      throw new GatewayError('UNAUTHENTICATED', 'debug views need the debug token', {
        headers: { 'www-authenticate': 'Bearer realm="debug"' },
      })
    }
    return c.json(view())
  })

  const accessLog = options.accessLog ?? true
  app.use('*', async function correlate(c, next) {
    const started = performance.now()
    const leave = lifecycle.enter()
    inFlight.inc()
    const incomingId = c.req.header('x-request-id')
    const requestId = isValidRequestId(incomingId) ? incomingId : newRequestId()
    const trace = continueOrStartTrace(c.req.header('traceparent'), c.req.header('tracestate'))
    const { span, context, traceparent, traceId } = startServerSpan(`${c.req.method}`, trace, {
      'http.request.method': c.req.method,
    })
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
      options.sink(
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
          ...(error ? { error: error.code } : {}),
        }),
      )
    }
  })

  app.onError((err, c) => {
    const error = toGatewayError(err)
    c.set('error', error)
    if (error.status >= 500 && error.code === 'INTERNAL') log.error('unhandled error', { err, requestId: c.get('requestId') })
    return renderProblem(error, c.get('requestId'))
  })
  app.notFound((c) => {
    const error = new GatewayError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`)
    c.set('error', error)
    return renderProblem(error, c.get('requestId'))
  })

  return {
    app: nodeApp,
    lifecycle,
    metrics,
    log,
    addDebugView(name, view) {
      debugViews.set(name, view)
    },
  }
}
