import { scriptCommand } from '../../stores/redis.ts'
import { ExpiringMap } from './expiring-map.ts'
import type { Counter, Take } from './limiter.ts'

/**
 * Reserves up to ARGV[1] units of a window of ARGV[2] units lasting ARGV[3] seconds, never
 * past the limit; returns { granted, used (after the grant), pttl }. The key and its counting
 * (SET NX with the window as TTL, INCRBY) are rate-limiter-flexible's RateLimiterRedis ones, so
 * batched and unbatched gateways naming the same policy share one counter.
 */
const RESERVE_LUA = `redis.call('set', KEYS[1], 0, 'EX', ARGV[3], 'NX')
local used = tonumber(redis.call('get', KEYS[1]))
local granted = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used)
if granted > 0 then
  used = redis.call('incrby', KEYS[1], granted)
else
  granted = 0
end
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('expire', KEYS[1], ARGV[3])
  ttl = 1000 * ARGV[3]
end
return {granted, used, ttl}`

const COMMAND = 'gatehouseRateLimitReserve'

type Reserve = (key: string, want: number, points: number, durationS: number) => Promise<unknown>

/** This process's reservation in one key's current window. */
interface Lease {
  /** Local epoch ms when the window ends: the send time of the reserving call plus Redis's PTTL (never later than Redis). */
  resetAt: number
  /** Reserved here, not yet spent. */
  held: number
  /** Units no gateway had reserved at this process's last round trip. */
  free: number
  /** The reservation in flight, if any: concurrent requests wait for it instead of each asking Redis. */
  pending: Promise<Take | undefined> | undefined
}

/** Spends from a live lease: a verdict, or undefined when Redis must be asked. */
function spend(lease: Lease, cost: number, now: number): Take | undefined {
  if (lease.resetAt <= now) return undefined
  if (lease.held >= cost) {
    lease.held -= cost
    return { ok: true, remaining: lease.free + lease.held, msLeft: lease.resetAt - now }
  }
  // Every unit of the window is reserved: nobody can return any, so the answer holds until it ends.
  if (lease.free === 0) return { ok: false, remaining: 0, msLeft: lease.resetAt - now }
  return undefined
}

export interface BatchedCounterOptions {
  readonly client: object
  /** Redis key prefix of the window (rate-limiter-flexible's: the key follows after a colon). */
  readonly keyPrefix: string
  readonly points: number
  /** Whole seconds (Redis TTLs). */
  readonly durationS: number
  /** Units reserved per round trip (at least 2). */
  readonly batch: number
}

/**
 * A Redis window counted in batches: one round trip reserves up to `batch` units (never past the
 * limit, atomically in Redis), and requests spend them here without a round trip until they run
 * out or the window ends. Across gateways the limit is never exceeded; units a gateway reserved
 * but did not spend before the window ended are lost (README.md, "Batching").
 */
export class BatchedRedisCounter implements Counter {
  readonly #reserve: Reserve
  readonly #prefix: string
  readonly #points: number
  readonly #durationS: number
  readonly #batch: number
  readonly #leases: ExpiringMap<Lease>

  constructor(o: BatchedCounterOptions) {
    this.#reserve = scriptCommand<Reserve>(o.client, COMMAND, { numberOfKeys: 1, lua: RESERVE_LUA })
    this.#prefix = `${o.keyPrefix}:`
    this.#points = o.points
    this.#durationS = o.durationS
    this.#batch = o.batch
    this.#leases = new ExpiringMap<Lease>(o.durationS * 1000)
  }

  consume(key: string, points: number): Take | Promise<Take> {
    const now = Date.now()
    const lease = this.#leases.get(key, now)
    if (lease !== undefined && lease.pending === undefined) {
      const take = spend(lease, points, now)
      if (take !== undefined) return take
    }
    return this.#consumeReserving(key, points)
  }

  async #consumeReserving(key: string, points: number): Promise<Take> {
    for (;;) {
      let lease = this.#leases.get(key, Date.now())
      // A reservation for this key is on its way: wait for it (its failure is ours too), then spend.
      if (lease?.pending !== undefined) {
        await lease.pending
        const take = spend(lease, points, Date.now())
        if (take !== undefined) return take
        continue
      }
      const now = Date.now()
      if (lease === undefined) {
        lease = { resetAt: 0, held: 0, free: 0, pending: undefined }
        this.#leases.set(key, lease)
      } else {
        const take = spend(lease, points, now)
        if (take !== undefined) return take
      }
      const take = await this.#reserveFor(key, lease, points, now)
      if (take !== undefined) return take
    }
  }

  /** One round trip: reserves what this request needs (at least a batch) and spends its share first. */
  #reserveFor(key: string, lease: Lease, points: number, now: number): Promise<Take | undefined> {
    // A window that ended took its unspent units with it.
    if (lease.resetAt <= now) {
      lease.held = 0
      lease.free = 0
    }
    const want = Math.max(this.#batch, points - lease.held)
    const done = this.#reserve(this.#prefix + key, want, this.#points, this.#durationS).then(
      (reply) => {
        const [granted, used, ttl] = reply as [number, number, number]
        const resetAt = now + ttl
        // Redis started a new window under this lease (it restarted, or the key was removed): the old units are void.
        if (resetAt >= lease.resetAt + (this.#durationS * 1000) / 2) lease.held = 0
        lease.held += granted
        lease.free = Math.max(0, this.#points - used)
        lease.resetAt = resetAt
        lease.pending = undefined
        this.#leases.set(key, lease) // back in, had a sweep dropped the expired lease meanwhile
        return spend(lease, points, Date.now())
      },
      (err: unknown) => {
        lease.pending = undefined
        throw err
      },
    )
    lease.pending = done
    return done
  }
}
