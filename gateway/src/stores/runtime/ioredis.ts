import { Redis } from 'ioredis'
import type { RedisConnection, RedisConnectOptions } from '../redis.ts'

/** Reconnect quickly, then at most once a second, forever: recovery must not need a restart. */
const retryDelayMs = (attempt: number): number => Math.min(50 * 2 ** attempt, 1_000)

/**
 * One ioredis client for the rate-limit stores. Fail fast, never queue: no offline queue (a
 * command while disconnected rejects at once), no retry of a command whose connection dropped,
 * a short per-command timeout, and a bounded connect. The connection itself keeps coming back.
 * ioredis runs on Node, Bun and Deno (npm compatibility), which is why this is the only
 * runtime code of the stores.
 */
export function connectIoredis(url: string, o: RedisConnectOptions): RedisConnection {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: o.commandTimeoutMs,
    connectTimeout: o.connectTimeoutMs,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: retryDelayMs,
    lazyConnect: false,
  })
  // Failures are seen (and counted, and logged once) per operation by the stores; an 'error'
  // event without a listener would crash the process instead.
  client.on('error', () => {})
  return {
    client,
    get ready() {
      return client.status === 'ready'
    },
    async close() {
      // QUIT flushes politely when connected; disconnect() covers every other state at once.
      if (client.status === 'ready') await client.quit().catch(() => undefined)
      client.disconnect(false)
    },
  }
}
