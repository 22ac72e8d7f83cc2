import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import { sharedRedis } from '../../stores/redis.ts'
import type { PolicyInit } from '../types.ts'
import { memoryCounter } from './limiter.ts'
import type { Counter, CounterFactory } from './limiter.ts'
import type { OnStoreFailure, RateLimitOptions } from './options.ts'
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

/**
 * The store of a policy instance. `memory`: counters in this process. `redis`: counters in
 * Redis over the process's shared connection (rate-limiter-flexible's RateLimiterRedis), each
 * guarded so a failure is decided at once: with `local`, a RateLimiterMemory twin (the insurance
 * limiter) counts in this process until Redis answers again; with `open` or `closed` the counter
 * throws StoreUnavailable.
 */
export function createStore(o: RateLimitOptions, init: PolicyInit): RateLimitStore {
  const onStoreFailure = o.onStoreFailure ?? 'local'
  if (o.store === 'memory') return { make: memoryCounter, keyPrefix: `rl:${init.name}`, onStoreFailure }
  const { url, prefix, commandTimeout } = o.store.redis
  const connection = sharedRedis(url, commandTimeout)
  const where = new URL(url)
  const health = createStoreHealth({
    policy: init.name,
    store: `${where.protocol}//${where.host}${where.pathname}`,
    onStoreFailure,
    metrics: init.metrics,
    log: init.log,
    connected: () => connection.ready,
  })
  const make: CounterFactory = (c) => {
    const redis = new RateLimiterRedis({
      storeClient: connection.client,
      rejectIfRedisNotReady: true,
      keyPrefix: c.keyPrefix,
      points: c.points,
      // Redis expires keys in whole seconds; only burst windows can be fractional (options refuse the rest).
      duration: Math.max(1, Math.ceil(c.durationMs / 1000)),
    })
    return guarded(redis, onStoreFailure === 'local' ? memoryCounter(c) : undefined, health)
  }
  return { make, keyPrefix: `${prefix}${init.name}`, onStoreFailure }
}

/** A store counter that never hangs on a failing store: it skips or falls back, per `health`. */
function guarded(store: Counter, insurance: Counter | undefined, health: StoreHealth): Counter {
  const fallback = (key: string, points: number, cause?: unknown): Promise<RateLimiterRes> => {
    if (insurance) return insurance.consume(key, points)
    throw new StoreUnavailable('rate limit store unavailable', { cause })
  }
  return {
    async consume(key, points) {
      if (!health.shouldTry()) {
        health.failed()
        return fallback(key, points)
      }
      try {
        const res = await store.consume(key, points)
        health.ok()
        return res
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) {
          health.failed(err)
          return fallback(key, points, err)
        }
        health.ok()
        throw err
      }
    },
  }
}
