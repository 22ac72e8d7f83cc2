/**
 * A count over a sliding time window, kept in 10 buckets (so the window slides in tenths),
 * read and written on the injected clock: no timers.
 */
export interface RollingCount {
  add(n?: number): void
  /** The count over the last `windowMs` (to a tenth of it). */
  sum(): number
  reset(): void
}

const BUCKETS = 10

export function createRollingCount(windowMs: number, now: () => number): RollingCount {
  const width = Math.max(1, Math.ceil(windowMs / BUCKETS))
  const counts = new Array<number>(BUCKETS).fill(0)
  const starts = new Array<number>(BUCKETS).fill(-Infinity)
  const slot = (): number => {
    const start = Math.floor(now() / width) * width
    const i = Math.floor(start / width) % BUCKETS
    if (starts[i] !== start) {
      starts[i] = start
      counts[i] = 0
    }
    return i
  }
  return {
    add(n = 1) {
      const i = slot()
      counts[i] = counts[i]! + n
    },
    sum() {
      const oldest = Math.floor(now() / width) * width - (BUCKETS - 1) * width
      let total = 0
      for (let i = 0; i < BUCKETS; i++) if (starts[i]! >= oldest) total += counts[i]!
      return total
    },
    reset() {
      counts.fill(0)
      starts.fill(-Infinity)
    },
  }
}
