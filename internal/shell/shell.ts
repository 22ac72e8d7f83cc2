import { Hono } from 'hono'
import type { Context } from 'hono'
import { admit, createAdmission } from './admission.ts'
import { createLogger } from './access-log.ts'
import type { LogSink } from './access-log.ts'
import type { ShellEnv } from './env.ts'
import { GatewayError, toGatewayError } from './errors.ts'
import { createLifecycle } from './lifecycle.ts'
import type { Lifecycle } from './lifecycle.ts'
import { createRegistry } from './metrics.ts'
import type { Registry } from './metrics.ts'
import { createCorrelate } from './correlate.ts'
import { mountPlanes } from './planes.ts'
import type { DebugAuth } from './planes.ts'
import { renderForCaller } from './rpc-errors.ts'

export interface ShellOptions {
  /** The node's role, e.g. `gateway`; a label on logs and metrics. */
  readonly node: string
  readonly runtime: { readonly name: string; readonly version: string }
  readonly version: string
  /** Where log lines go (the runtime adapter's stdout, batched). */
  readonly sink: LogSink
  /** Enables `/debug/*` behind `Authorization: Bearer <token>`; absent = `/debug/*` is 404. */
  readonly debugToken?: string | undefined
  /** Enables `/debug/*` behind the node's own check instead of the token (see planes.ts). */
  readonly debugAuth?: DebugAuth | undefined
  /** Write one access-log line per request (default true). */
  readonly accessLog?: boolean
  /**
   * Concurrency limit of the whole process (absent = none): every request but the shell's own
   * `/health/*`, `/metrics` and `/debug/*` takes a slot until its response headers; see admission.ts.
   */
  readonly admission?: { readonly maxConcurrent: number; readonly maxQueue: number; readonly maxWaitMs: number; readonly adaptive?: { readonly min: number } | undefined } | undefined
}

export type Logger = ReturnType<typeof createLogger>

export interface Shell<V extends object> {
  /** The node's app: shell planes and correlation are mounted; the node adds its handlers. */
  readonly app: Hono<ShellEnv<V>>
  readonly lifecycle: Lifecycle
  readonly metrics: Registry
  readonly log: Logger
  /** The one place an error becomes a response, in the caller's protocol (rpc-errors.ts; INTERNAL errors logged with their stack). */
  renderError(err: unknown, c: Context<ShellEnv<V>>): Response
  /** Adds a JSON view at `/debug/<name>` (only served when a debug token is configured). */
  addDebugView(name: string, view: () => unknown): void
}

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
  metrics
    .gauge('gatehouse_node_info', 'Node role, runtime and version', ['node', 'runtime', 'runtime_version', 'version'])
    .set(1, { node: options.node, runtime: options.runtime.name, runtime_version: options.runtime.version, version: options.version })

  const nodeApp = new Hono<ShellEnv<V>>()
  // The shell's own handlers only use the shell's variables.
  const app = nodeApp as unknown as Hono<ShellEnv>
  mountPlanes(app, { lifecycle, metrics, debugViews, debugToken: options.debugToken, debugAuth: options.debugAuth })
  app.use('*', createCorrelate({ lifecycle, metrics, accessLog: (options.accessLog ?? true) ? options.sink : undefined }))
  if (options.admission) {
    // After correlate, so a rejection is logged and counted; the planes above never queue.
    const limit = metrics.gauge('gatehouse_admission_limit', 'Requests the process admits at once (moves when adaptive)')
    app.use('*', admit(createAdmission({ ...options.admission, metrics: { ...admissionMetrics(metrics, 'process'), limit } })))
  }

  const renderError = (err: unknown, c: Context<ShellEnv>): Response => {
    const error = toGatewayError(err)
    c.set('error', error)
    if (error.code === 'INTERNAL') log.error('unhandled error', { err, requestId: c.get('requestId') })
    return renderForCaller(error, c.req.raw, c.get('requestId'))
  }
  app.onError(renderError)
  app.notFound((c) => {
    const error = new GatewayError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`)
    c.set('error', error)
    return renderForCaller(error, c.req.raw, c.get('requestId'))
  })

  return {
    app: nodeApp,
    lifecycle,
    metrics,
    log,
    renderError: renderError as unknown as Shell<V>['renderError'], // it only touches the shell's own variables
    addDebugView(name, view) {
      debugViews.set(name, view)
    },
  }
}

/** The admission metrics of one scope (`process`, or `route` for the sum over per-route limits). */
export function admissionMetrics(metrics: Registry, scope: 'process' | 'route') {
  const labels = { scope }
  return {
    inFlight: metrics.gauge('gatehouse_admission_in_flight', 'Requests holding an admission slot', ['scope']).labels(labels),
    queued: metrics.gauge('gatehouse_admission_queued', 'Requests waiting for an admission slot', ['scope']).labels(labels),
    rejected: metrics.counter('gatehouse_admission_rejected_total', 'Requests refused with 503 OVERLOADED', ['scope']).labels(labels),
  }
}
