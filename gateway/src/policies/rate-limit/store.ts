import { sharedRedis } from '../../stores/redis.ts'
import type { PolicyInit } from '../types.ts'
import type { Counter, CounterFactory, Take } from './limiter.ts'
import { memoryCounter } from './memory-counter.ts'
import type { OnStoreFailure, RateLimitOptions } from './options.ts'
import { BatchedRedisCounter } from './redis-batch.ts'
import { incrementMetrics, redisIncrementCounter } from './redis-increments.ts'
import type { Batch } from './store-options.ts'
import { createStoreHealth } from './store-health.ts'
import type { StoreHealth } from './store-health.ts'

/** A counter could not ask its store and `onStoreFailure` is open or closed: the policy decides. */
export class StoreUnavailable extends Error {
  override name = 'StoreUnavailable'
}

/** Where a policy instance counts: its counter factory and the key prefix of its buckets. */
export interface RateLimitStore {
  readonly make: CounterFactory
  readonly keyPrefix: string
  readonly onStoreFailure: OnStoreFailure
}

/** Units one reservation takes from a window of `points`: min(tokens, share of the window); under 2 means no batching. */
export function batchSize(batch: Batch | undefined, points: number): number {
  return batch === undefined ? 1 : Math.min(batch.tokens, Math.floor(batch.share * points))
}

/**
 * The store of a policy instance. `memory`: counters in this process. `redis`: counters in
 * Redis over the process's shared connection, exact, each window touched counted in the one
 * script call that carries the increments of one event-loop turn (redisIncrementCounter), or
 * reserved in batches (`batch`, BatchedRedisCounter);
 * each guarded so a failure is decided at once: with `local`, an in-memory twin (the insurance)
 * counts in this process until Redis answers again; with `open` or `closed` the counter throws
 * StoreUnavailable.
 */
export function createStore(o: RateLimitOptions, init: PolicyInit): RateLimitStore {
  const onStoreFailure = o.onStoreFailure ?? 'local'
  if (o.store === 'memory') return { make: memoryCounter, keyPrefix: `rl:${init.name}`, onStoreFailure }
  const { url, prefix, commandTimeout, batch } = o.store.redis
  const connection = sharedRedis(url, commandTimeout)
  const where = new URL(url)
  const address = `${where.protocol}//${where.host}${where.pathname}`
  const increments = incrementMetrics(init.metrics, address)
  const health = createStoreHealth({
    policy: init.name,
    store: address,
    onStoreFailure,
    metrics: init.metrics,
    log: init.log,
    connected: () => connection.ready,
  })
  const make: CounterFactory = (c) => {
    // Redis expires keys in whole seconds; only burst windows can be fractional (options refuse the rest).
    const durationS = Math.max(1, Math.ceil(c.durationMs / 1000))
    const size = batchSize(batch, c.points)
    const store: Counter =
      size >= 2
        ? new BatchedRedisCounter({ client: connection.client, keyPrefix: c.keyPrefix, points: c.points, durationS, batch: size })
        : redisIncrementCounter({ client: connection.client, keyPrefix: c.keyPrefix, points: c.points, durationS, metrics: increments })
    return guarded(store, onStoreFailure === 'local' ? memoryCounter(c) : undefined, health)
  }
  return { make, keyPrefix: `${prefix}${init.name}`, onStoreFailure }
}

/** A store counter that never hangs on a failing store: it skips or falls back, per `health`. */
function guarded(store: Counter, insurance: Counter | undefined, health: StoreHealth): Counter {
  const fallback = (key: string, points: number, cause?: unknown): Take | Promise<Take> => {
    if (insurance) return insurance.consume(key, points)
    throw new StoreUnavailable('rate limit store unavailable', { cause })
  }
  return {
    consume(key, points) {
      if (!health.shouldTry()) {
        health.failed()
        return fallback(key, points)
      }
      let answer: Take | Promise<Take>
      try {
        answer = store.consume(key, points)
      } catch (err) {
        health.failed(err)
        return fallback(key, points, err)
      }
      if (!(answer instanceof Promise)) {
        health.ok()
        return answer
      }
      return answer.then(
        (take) => {
          health.ok()
          return take
        },
        (err: unknown) => {
          health.failed(err)
          return fallback(key, points, err)
        },
      )
    },
  }
}
