import { afterAll, describe, expect, it } from 'vitest'
import { closeRedisConnections, sharedRedis } from './redis.ts'

// Port 9 (discard) is closed here: the connection keeps trying and is never ready; no server needed.
const NOWHERE = 'redis://127.0.0.1:9/0'

afterAll(() => closeRedisConnections())

describe('shared redis connections', () => {
  it('shares one connection per url and command timeout, and opens a new one after close', async () => {
    const a = sharedRedis(NOWHERE, 250)
    expect(sharedRedis(NOWHERE, 250)).toBe(a)
    expect(sharedRedis(NOWHERE, 500)).not.toBe(a)
    expect(sharedRedis('redis://127.0.0.1:9/1', 250)).not.toBe(a)
    expect(a.ready).toBe(false)
    await closeRedisConnections()
    const b = sharedRedis(NOWHERE, 250)
    expect(b).not.toBe(a)
    await closeRedisConnections()
  })
})
