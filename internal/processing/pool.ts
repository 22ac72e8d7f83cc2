/** What a worker pool runs: one job at a time per worker. Rejections are the job's business. */
export type RunJob<Job> = (job: Job) => Promise<void>

export interface WorkerPoolOptions<Job> {
  /** Jobs running at once (integer ≥ 1). */
  readonly workers: number
  /** Jobs waiting for a worker (integer ≥ 0); `offer` refuses beyond it. */
  readonly queueCapacity: number
  readonly run: RunJob<Job>
  /** Milliseconds since an arbitrary origin, for the retry hint; defaults to `performance.now()`. */
  readonly now?: () => number
}

/**
 * A fixed number of workers over a bounded FIFO queue. Admission is synchronous: `offer` starts
 * the job at once when a worker is idle, queues it while the queue has room, and otherwise
 * refuses (returns false). The queue never grows past `queueCapacity`.
 */
export interface WorkerPool<Job> {
  offer(job: Job): boolean
  /** Takes a job out of the queue before it starts (true when it was waiting). */
  remove(job: Job): boolean
  readonly queued: number
  readonly running: number
  readonly queueCapacity: number
  /** How long a refused submitter should wait: the expected time for one queue slot to free up. */
  retryAfterMs(): number
  /** Stops admitting jobs, drops the queued ones (returned) and waits for the running ones. */
  close(): Promise<Job[]>
}

const MIN_RETRY_MS = 1_000
const MAX_RETRY_MS = 60_000
/** Weight of the newest job duration in the moving average. */
const EWMA_WEIGHT = 0.2

export function createWorkerPool<Job>(options: WorkerPoolOptions<Job>): WorkerPool<Job> {
  const { workers, queueCapacity, run } = options
  if (!Number.isInteger(workers) || workers < 1) throw new TypeError('"workers" must be an integer >= 1')
  if (!Number.isInteger(queueCapacity) || queueCapacity < 0) {
    throw new TypeError('"queueCapacity" must be an integer >= 0')
  }
  const now = options.now ?? (() => performance.now())
  const queue: Job[] = []
  const active = new Set<Promise<void>>()
  let averageMs: number | undefined
  let closed = false

  function start(job: Job): void {
    const began = now()
    // Run on the next microtask: `offer` stays free of re-entrancy, and a synchronous throw
    // from `run` is just a rejection.
    const done = Promise.resolve()
      .then(() => run(job))
      .catch(() => undefined)
      .then(() => {
        const took = now() - began
        averageMs = averageMs === undefined ? took : averageMs + EWMA_WEIGHT * (took - averageMs)
        active.delete(done)
        const next = closed ? undefined : queue.shift()
        if (next !== undefined) start(next)
      })
    active.add(done)
  }

  return {
    offer(job) {
      if (closed) return false
      if (active.size < workers) start(job)
      else if (queue.length < queueCapacity) queue.push(job)
      else return false
      return true
    },
    remove(job) {
      const at = queue.indexOf(job)
      if (at < 0) return false
      queue.splice(at, 1)
      return true
    },
    get queued() {
      return queue.length
    },
    get running() {
      return active.size
    },
    queueCapacity,
    retryAfterMs() {
      // Each worker frees a slot every `averageMs` on average; unknown before the first job ends.
      const estimate = averageMs === undefined ? MIN_RETRY_MS : averageMs / workers
      return Math.round(Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, estimate)))
    },
    async close() {
      closed = true
      const dropped = queue.splice(0)
      while (active.size > 0) await Promise.all(active)
      return dropped
    },
  }
}
