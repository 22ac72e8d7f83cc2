import type { CounterChild, Registry } from '../../../../internal/shell/metrics.ts'
import { scriptCommand } from '../../stores/redis.ts'
import type { Counter, Take } from './limiter.ts'

/**
 * Counts several windows in one call: for each key i, KEYS[i] gets ARGV[2i-1] added in a window of
 * ARGV[2i] seconds; returns { used, pttl } per key, flattened, `used` false when that key's
 * command failed (say a key of another type) so one bad key fails only its own request. Per key
 * it is rate-limiter-flexible's RateLimiterRedis script (SET NX with the window as TTL, INCRBY,
 * PTTL, EXPIRE when the TTL went missing), so gateways on either share one counter.
 */
const INCREMENT_MANY_LUA = `local out = {}
for i = 1, #KEYS do
  local seconds = ARGV[2 * i]
  redis.pcall('set', KEYS[i], 0, 'EX', seconds, 'NX')
  local used = redis.pcall('incrby', KEYS[i], ARGV[2 * i - 1])
  local ttl = 0
  if type(used) == 'number' then
    ttl = redis.call('pttl', KEYS[i])
    if ttl == -1 then
      redis.call('expire', KEYS[i], seconds)
      ttl = 1000 * seconds
    end
  else
    used = false
  end
  out[2 * i - 1] = used
  out[2 * i] = ttl
end
return out`

/** The script's name as an ioredis command (ioredis sends EVALSHA, EVAL after a NOSCRIPT). */
export const INCREMENT_MANY = 'gatehouseRateLimitIncrementMany'

/** Keys per script call at most: a long flush goes out as several calls. */
const MAX_KEYS_PER_CALL = 256

type IncrementMany = (numberOfKeys: number, ...keysThenArgs: (string | number)[]) => Promise<unknown>

/** One request's increment waiting for the next flush. */
interface Pending {
  readonly key: string
  readonly points: number
  readonly durationS: number
  /** The window's limit: the answer is `ok` while the counter stays within it. */
  readonly limit: number
  readonly resolve: (take: Take) => void
  readonly reject: (err: unknown) => void
}

/** Runs `fn` after the I/O callbacks of this turn of the event loop (setImmediate; Deno's npm globals have it). */
const afterIo: (fn: () => void) => void = typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0)

/**
 * The increments of every window counted on one Redis connection, sent together: what requests
 * ask during one turn of the event loop (the requests whose bytes arrived together) goes out as
 * one script call when the turn's I/O is done, instead of one command per request. Exact: Redis
 * applies them one after another, atomically, and each request gets its own count back.
 */
export class RedisIncrements {
  readonly #call: IncrementMany
  readonly #seen: IncrementMetrics | undefined
  #pending: Pending[] = []
  #scheduled = false
  readonly #flush = () => this.flush()

  constructor(client: object, metrics?: IncrementMetrics) {
    this.#seen = metrics
    // No numberOfKeys: the call names it first.
    this.#call = scriptCommand<IncrementMany>(client, INCREMENT_MANY, { lua: INCREMENT_MANY_LUA })
  }

  /** Adds `points` to `key` (a window of `durationS` seconds, `limit` points) at the next flush. */
  add(key: string, points: number, durationS: number, limit: number): Promise<Take> {
    return new Promise<Take>((resolve, reject) => {
      this.#pending.push({ key, points, durationS, limit, resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        afterIo(this.#flush)
      }
    })
  }

  /** Sends what is pending now (normally run by the schedule). */
  flush(): void {
    this.#scheduled = false
    const all = this.#pending
    this.#pending = []
    if (all.length === 0) return
    if (all.length <= MAX_KEYS_PER_CALL) return this.#send(all)
    for (let start = 0; start < all.length; start += MAX_KEYS_PER_CALL) this.#send(all.slice(start, start + MAX_KEYS_PER_CALL))
  }

  #send(batch: Pending[]): void {
    const n = batch.length
    const args: (string | number)[] = new Array(3 * n)
    for (let i = 0; i < n; i++) {
      const p = batch[i] as Pending
      args[i] = p.key
      args[n + 2 * i] = p.points
      args[n + 2 * i + 1] = p.durationS
    }
    this.#seen?.calls.inc()
    this.#seen?.increments.inc(n)
    let reply: Promise<unknown>
    try {
      reply = this.#call(n, ...args)
    } catch (err) {
      for (const p of batch) p.reject(err)
      return
    }
    reply.then(
      (value) => answer(batch, value),
      (err: unknown) => {
        for (const p of batch) p.reject(err)
      },
    )
  }
}

/** Resolves each request with its own count, or rejects those whose key failed (or all, for a reply of the wrong shape). */
function answer(batch: Pending[], value: unknown): void {
  const reply = value as unknown[]
  if (!Array.isArray(reply) || reply.length !== 2 * batch.length) {
    const err = new Error('unexpected reply from the rate-limit script')
    for (const p of batch) p.reject(err)
    return
  }
  for (let i = 0; i < batch.length; i++) {
    const p = batch[i] as Pending
    const used = reply[2 * i]
    if (typeof used !== 'number') {
      p.reject(new Error(`redis could not count ${p.key}`))
      continue
    }
    const msLeft = Math.max(0, Number(reply[2 * i + 1]))
    p.resolve({ ok: used <= p.limit, remaining: Math.max(0, p.limit - used), msLeft })
  }
}

/** What a queue counts: its script calls and the increments they carried (their ratio is the coalescing). */
export interface IncrementMetrics {
  readonly calls: CounterChild
  readonly increments: CounterChild
}

/** The two counters of a store's queue, by store address (no credentials). */
export function incrementMetrics(metrics: Registry, store: string): IncrementMetrics {
  const labels = { store }
  return {
    calls: metrics.counter('gatehouse_rate_limit_redis_calls_total', 'Script calls the unbatched Redis rate-limit counters sent', ['store']).labels(labels),
    increments: metrics
      .counter('gatehouse_rate_limit_redis_increments_total', 'Window increments those calls carried (one per request and window counted)', ['store'])
      .labels(labels),
  }
}

const perClient = new WeakMap<object, RedisIncrements>()

/**
 * The increments queue of a Redis client (one per connection, shared by every window counted on
 * it); `metrics` are taken by the first caller, whose registry is the process's.
 */
export function redisIncrements(client: object, metrics?: IncrementMetrics): RedisIncrements {
  let q = perClient.get(client)
  if (q === undefined) {
    q = new RedisIncrements(client, metrics)
    perClient.set(client, q)
  }
  return q
}

export interface IncrementCounterOptions {
  readonly client: object
  readonly metrics?: IncrementMetrics
  /** Redis key prefix of the window (rate-limiter-flexible's: the key follows after a colon). */
  readonly keyPrefix: string
  readonly points: number
  /** Whole seconds (Redis TTLs). */
  readonly durationS: number
}

/** A Redis window counted exactly, per request, the requests of one turn of the event loop in one round trip. */
export function redisIncrementCounter(o: IncrementCounterOptions): Counter {
  const q = redisIncrements(o.client, o.metrics)
  const prefix = `${o.keyPrefix}:`
  return { consume: (key, points) => q.add(prefix + key, points, o.durationS, o.points) }
}
