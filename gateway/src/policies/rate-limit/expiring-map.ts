/** An entry that knows when it stops counting (epoch ms). */
export interface Expiring {
  resetAt: number
}

/** The longest a sweep waits: a long window (a daily quota) still drops its dead keys within a minute of expiry. */
const MAX_SWEEP_INTERVAL_MS = 60_000

/**
 * Keyed entries that expire without a timer per key: callers check `resetAt` on access, and
 * expired entries are swept in one pass at most once per interval (the window, at most a
 * minute), on the next access after it. Memory stays bounded by the keys seen within about one
 * window plus one interval, and a request costs one Map lookup (setting and clearing a timer
 * per key and window costs more than the count, and timers cannot wait 24.9 days or longer).
 */
export class ExpiringMap<V extends Expiring> {
  readonly #entries = new Map<string, V>()
  readonly #sweepEveryMs: number
  #nextSweep: number

  constructor(windowMs: number, now = Date.now()) {
    this.#sweepEveryMs = Math.max(1, Math.min(windowMs, MAX_SWEEP_INTERVAL_MS))
    this.#nextSweep = now + this.#sweepEveryMs
  }

  /** The entry under `key`, expired or not (the caller decides what an expired one means). */
  get(key: string, now: number): V | undefined {
    if (now >= this.#nextSweep) this.#sweep(now)
    return this.#entries.get(key)
  }

  set(key: string, entry: V): void {
    this.#entries.set(key, entry)
  }

  get size(): number {
    return this.#entries.size
  }

  #sweep(now: number): void {
    this.#nextSweep = now + this.#sweepEveryMs
    for (const [key, entry] of this.#entries) if (entry.resetAt <= now) this.#entries.delete(key)
  }
}
