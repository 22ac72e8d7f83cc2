import type { MiddlewareHandler } from 'hono'
import type { ConnInfo, ShellEnv } from './env.ts'
import { AdaptiveLimit } from './adaptive-limit.ts'
import { GatewayError } from './errors.ts'

/**
 * Admission control: at most `maxConcurrent` requests run; up to `maxQueue` more wait, first in
 * first out, for at most `maxWaitMs` each. Past that a request fails fast with 503 OVERLOADED and
 * a `Retry-After`, so the backlog (and the memory it holds) never grows beyond `maxQueue`.
 *
 * Retry-After estimate: the mean time a slot is held (an exponentially weighted average of the
 * last releases, 1 s before any) × (requests waiting + 1) / `maxConcurrent`, rounded up to whole
 * seconds and clamped to 1..30 s. It is a hint for well-behaved clients, not a promise.
 */

export interface AdmissionOptions {
  /** Requests running at once (integer >= 1). */
  readonly maxConcurrent: number
  /** Requests waiting for a slot (integer >= 0; 0 = no waiting, reject at once). */
  readonly maxQueue: number
  /** How long a request may wait for a slot before it is rejected (ms, >= 0). */
  readonly maxWaitMs: number
  /** Counters and gauges to keep (the admission increments/decrements them; shared ones sum). */
  readonly metrics?: AdmissionMetrics | undefined
  /**
   * Adapt the limit to observed latency (adaptive-limit.ts): between `min` and `maxConcurrent`,
   * starting at `maxConcurrent`, shrinking when requests take longer than their baseline.
   */
  readonly adaptive?: { readonly min: number } | undefined
}

export interface AdmissionMetrics {
  /** The adaptive limit, when there is one. */
  readonly limit?: { set(value: number): void } | undefined
  readonly inFlight: { inc(): void; dec(): void }
  readonly queued: { inc(): void; dec(): void }
  readonly rejected: { inc(): void }
}

/** A signal for "the client went away", or a function that makes one, called only if the request must wait. */
export type AbortSource = AbortSignal | (() => AbortSignal | undefined)

export interface Admission {
  /**
   * Resolves with `release` (idempotent) once the request holds a slot. Throws / rejects with
   * GatewayError OVERLOADED when the queue is full or the wait exceeds `maxWaitMs`, and with
   * CANCELED when `signal` aborts while waiting (the request leaves the queue).
   */
  acquire(signal?: AbortSource): Promise<() => void>
  readonly inFlight: number
  readonly queued: number
  /** Requests allowed at once now (`maxConcurrent`, or the adaptive limit). */
  readonly limit: number
}

interface Waiter {
  grant(): void
}

const EWMA_WEIGHT = 0.2
const FIRST_ESTIMATE_MS = 1_000
const MAX_RETRY_AFTER_S = 30

export function createAdmission({ maxConcurrent, maxQueue, maxWaitMs, metrics, adaptive }: AdmissionOptions): Admission {
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new TypeError(`maxConcurrent must be an integer >= 1, got ${maxConcurrent}`)
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new TypeError(`maxQueue must be an integer >= 0, got ${maxQueue}`)
  if (!(maxWaitMs >= 0) || !Number.isFinite(maxWaitMs)) throw new TypeError(`maxWaitMs must be a number >= 0, got ${maxWaitMs}`)
  const adaptiveLimit = adaptive ? new AdaptiveLimit({ min: adaptive.min, max: maxConcurrent }) : undefined
  const capacity = (): number => adaptiveLimit?.current ?? maxConcurrent
  metrics?.limit?.set(maxConcurrent)
  let inFlight = 0
  let meanHoldMs = FIRST_ESTIMATE_MS
  const queue = new Set<Waiter>() // insertion-ordered: FIFO with O(1) removal from the middle

  const overloaded = (why: string): GatewayError => {
    metrics?.rejected.inc()
    const seconds = Math.ceil((meanHoldMs * (queue.size + 1)) / capacity() / 1000)
    const retryAfter = Math.min(MAX_RETRY_AFTER_S, Math.max(1, seconds))
    return new GatewayError('OVERLOADED', why, { headers: { 'retry-after': String(retryAfter) } })
  }

  const hold = (): (() => void) => {
    const started = performance.now()
    let done = false
    return () => {
      if (done) return
      done = true
      const heldMs = performance.now() - started
      meanHoldMs += EWMA_WEIGHT * (heldMs - meanHoldMs)
      if (adaptiveLimit) {
        adaptiveLimit.sample(heldMs, inFlight)
        metrics?.limit?.set(adaptiveLimit.current)
      }
      inFlight--
      metrics?.inFlight.dec()
      // Freed slots go straight to the queue, in order, in this same call: a newcomer cannot overtake it.
      for (let next = queue.values().next(); !next.done && inFlight < capacity(); next = queue.values().next()) {
        inFlight++
        metrics?.inFlight.inc()
        next.value.grant()
      }
    }
  }

  return {
    get inFlight() {
      return inFlight
    },
    get queued() {
      return queue.size
    },
    get limit() {
      return capacity()
    },
    acquire(source) {
      if (inFlight < capacity() && queue.size === 0) {
        inFlight++
        metrics?.inFlight.inc()
        return Promise.resolve(hold())
      }
      if (queue.size >= maxQueue) return Promise.reject(overloaded('too many requests in progress; try again later'))
      const signal = typeof source === 'function' ? source() : source
      if (signal?.aborted) return Promise.reject(new GatewayError('CANCELED', 'client went away'))
      return new Promise<() => void>((resolve, reject) => {
        const leave = () => {
          queue.delete(waiter)
          metrics?.queued.dec()
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
        }
        const onAbort = () => {
          leave()
          reject(new GatewayError('CANCELED', 'client went away while waiting'))
        }
        const waiter: Waiter = {
          grant() {
            leave()
            resolve(hold())
          },
        }
        const timer = setTimeout(() => {
          leave()
          reject(overloaded(`no capacity within ${maxWaitMs} ms; try again later`))
        }, maxWaitMs)
        queue.add(waiter)
        metrics?.queued.inc()
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    },
  }
}

/**
 * Middleware holding a slot of `admission` until the request is over: the response body has been
 * sent (or the client went away), not merely the headers — a stream or a large download is
 * work in progress for its whole length.
 */
export function admit<V extends object>(admission: Admission): MiddlewareHandler<ShellEnv<V>> {
  return async function admitRequest(c, next) {
    const release = await admission.acquire(() => clientGone(c.env))
    try {
      await next()
    } catch (err) {
      release()
      throw err
    }
    const res = c.res
    if (!res.body) return release()
    c.res = undefined as unknown as Response // hono's setter would merge the old headers into the new response
    c.res = new Response(releasedAtEnd(res.body, release), res)
  }
}

/** The same bytes, calling `release` once the stream ends, fails or is cancelled by the consumer. */
function releasedAtEnd(body: ReadableStream<Uint8Array>, release: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read()
          if (done) {
            release()
            controller.close()
          } else controller.enqueue(value)
        } catch (err) {
          release()
          controller.error(err)
        }
      },
      cancel(reason) {
        release()
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}

/** An AbortSignal for the runtime's "client disconnected" hook (made only when a request must wait). */
function clientGone(env: ConnInfo | undefined): AbortSignal | undefined {
  if (!env?.onClientGone) return undefined
  const controller = new AbortController()
  env.onClientGone(() => controller.abort())
  return controller.signal
}
