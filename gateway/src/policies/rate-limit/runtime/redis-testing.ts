/** Helpers for the rate-limit tests on a real redis-server (imported only by *.test.ts). */
import { Redis } from 'ioredis'
import { startRedis } from '../../../../../test/support/redis-server.ts'
import type { RedisServer } from '../../../../../test/support/redis-server.ts'
import { closeRedisConnections, sharedRedis } from '../../../stores/redis.ts'

/** A redis-server of the test file's own, a client to inspect it, and the policies' shared connection to it. */
export interface RedisFixture {
  readonly redis: RedisServer
  readonly admin: Redis
  /** The process's shared connection (the one a policy with `commandTimeout: 2s` uses), ready. */
  readonly client: object
  stop(): Promise<void>
}

/** Starts the server and waits until the shared connection is ready (before it is, the insurance would count). */
export async function startRedisFixture(): Promise<RedisFixture> {
  const redis = await startRedis()
  const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 })
  await admin.connect()
  const connection = sharedRedis(redis.url, 2_000)
  const deadline = Date.now() + 5_000
  while (!connection.ready && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  if (!connection.ready) throw new Error(`the shared connection to ${redis.url} is not ready after 5 s`)
  return {
    redis,
    admin,
    client: connection.client,
    async stop() {
      await closeRedisConnections()
      admin.disconnect()
      await redis.stop()
    },
  }
}

/** Script calls Redis executed so far (EVALSHA, plus EVAL when a script was not loaded yet). */
export async function scriptCalls(admin: Redis): Promise<number> {
  const stats = await admin.info('commandstats')
  let calls = 0
  for (const m of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(m[1])
  return calls
}
