import { ExpiringMap } from './expiring-map.ts'
import type { Counter, CounterFactory, Take } from './limiter.ts'

interface Bucket {
  used: number
  resetAt: number
}

/**
 * A fixed-window counter in this process: `points` per `durationMs` per key, the window starting
 * at the key's first request (rate-limiter-flexible's RateLimiterMemory semantics: a refused
 * request still counts, so a window never admits more than `points`). Synchronous: a request
 * costs a Map lookup and one small object, no promise and no timer.
 */
export class MemoryCounter implements Counter {
  readonly #buckets: ExpiringMap<Bucket>

  constructor(
    readonly points: number,
    readonly durationMs: number,
  ) {
    this.#buckets = new ExpiringMap<Bucket>(durationMs)
  }

  consume(key: string, points: number): Take {
    const now = Date.now()
    let bucket = this.#buckets.get(key, now)
    if (bucket === undefined || bucket.resetAt <= now) {
      bucket = { used: 0, resetAt: now + this.durationMs }
      this.#buckets.set(key, bucket)
    }
    bucket.used += points
    return { ok: bucket.used <= this.points, remaining: Math.max(0, this.points - bucket.used), msLeft: bucket.resetAt - now }
  }

  /** Keys held (live or awaiting the next sweep). */
  get size(): number {
    return this.#buckets.size
  }
}

/** The in-memory store (per process): `store: memory`, and the insurance of a redis store. */
export const memoryCounter: CounterFactory = ({ points, durationMs }) => new MemoryCounter(points, durationMs)
