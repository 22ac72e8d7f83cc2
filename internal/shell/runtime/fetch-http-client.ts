import { runtimeTimeouts } from '../coarse-timers.ts'
import type { Timeouts } from '../coarse-timers.ts'
import { GatewayError } from '../errors.ts'
import { FieldList } from '../field-list.ts'
import { FieldsResponse } from '../http-client.ts'
import type { HttpExchange, UpstreamResponse } from '../http-client.ts'
import { endToEndRecord } from '../hop-by-hop.ts'

/** How long an upstream may take before the exchange starts watching for the client leaving. */
const WATCH_AFTER_MS = 100

/**
 * The egress client for runtimes whose own fetch pools connections well (Bun, Deno).
 * `extra` carries runtime-specific fetch options (Bun: `decompress: false`). With
 * `mutableResponses` (Bun: a fetch Response's headers may be edited) the upstream's Response itself
 * is handed over (`UpstreamResponse.response`): no header copy, and the runtime pipes its body natively.
 * `timeouts` schedules each call's timeout (default: the runtime's timers; Deno: `CoarseTimers`).
 * With `headerRecords` (Deno, whose WebIDL conversions of header pairs and Headers copies are
 * JavaScript) request headers go to fetch as a record, and the answer's end-to-end headers come
 * back as `fields`, read once, for the caller to build its response from.
 */
export function createFetchHttpClient(
  extra: Record<string, unknown> = {},
  options: { mutableResponses?: boolean; timeouts?: Timeouts; headerRecords?: boolean } = {},
): HttpExchange {
  const mutable = options.mutableResponses === true
  const records = options.headerRecords === true
  const timers = options.timeouts ?? runtimeTimeouts
  return async (req) => {
    // Not AbortSignal.timeout(): the signal must not fire once the body is streaming.
    const controller = new AbortController()
    const signal = controller.signal
    let cancelled = false
    const timedOut = () => controller.abort()
    // Watching for a client that leaves is not free (Deno makes the request's AbortSignal on first
    // use: ~25 µs a request, measured), and only matters for an upstream that keeps us waiting:
    // requests still waiting after WATCH_AFTER_MS get the watcher (it fires at once if the client
    // already left), the rest never pay for it. A body that streams is cancelled by the runtime.
    const watchAfter = req.onClientGone ? Math.min(WATCH_AFTER_MS, req.timeoutMs) : req.timeoutMs
    let timer = timers.schedule(watchAfter, () => {
      if (watchAfter === req.timeoutMs) return timedOut()
      req.onClientGone?.(() => {
        cancelled = true
        controller.abort()
      })
      timer = timers.schedule(req.timeoutMs - watchAfter, timedOut)
    })
    try {
      const res = await fetch(req.origin + req.path, {
        method: req.method,
        headers: req.headers instanceof FieldList ? (records ? req.headers.record() : req.headers.pairs()) : req.headers instanceof Headers ? req.headers : [...req.headers],
        body: req.body,
        signal,
        redirect: 'manual',
        ...(req.body && !(req.body instanceof Uint8Array) ? { duplex: 'half' } : {}),
        ...extra,
      } as RequestInit)
      if (mutable) return new OwnResponse(res)
      const fields = records ? endToEndRecord(res.headers) : undefined
      return fields ? new FieldsResponse(res.status, fields, res.body) : { status: res.status, headers: new Headers(res.headers), body: res.body }
    } catch (err) {
      if (cancelled) throw new GatewayError('CANCELED', 'client closed the request', { cause: err })
      if (signal.aborted) {
        throw new GatewayError('TIMEOUT', `upstream did not answer within ${req.timeoutMs} ms`, { cause: err })
      }
      const detail = err instanceof Error ? ((err as { code?: string }).code ?? err.name) : 'error'
      throw new GatewayError('UNAVAILABLE', `upstream connection failed (${detail})`, { cause: err })
    } finally {
      timers.cancel(timer)
    }
  }
}

/** The upstream's own Response (its headers are ours to edit), its body only touched when read. */
class OwnResponse implements UpstreamResponse {
  constructor(readonly response: Response) {}
  get status(): number {
    return this.response.status
  }
  get headers(): Headers {
    return this.response.headers
  }
  get body(): ReadableStream<Uint8Array> | null {
    return this.response.body
  }
}
