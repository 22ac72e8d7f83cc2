import { Code, createClient, createRouterTransport } from '@connectrpc/connect'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Health, HealthCheckResponse_ServingStatus as Status } from '../../../proto/gen/grpc/health/v1/health_pb.ts'
import { createHealthService, readinessCheck } from './health.ts'
import type { HealthOptions } from './health.ts'

const STORAGE = 'gatehouse.storage.v1.StorageService'

/** A node whose readiness the test flips; `changed()` is what a lifecycle change feed would call. */
function node(options: HealthOptions = {}) {
  let ready = true
  const listeners = new Set<() => void>()
  const subscribe = (onChange: () => void) => {
    listeners.add(onChange)
    return () => listeners.delete(onChange)
  }
  const check = readinessCheck([STORAGE], () => ready)
  const impl = createHealthService(check, { services: [STORAGE], pollMs: 0, subscribe, ...options })
  const client = createClient(Health, createRouterTransport((router) => router.service(Health, impl)))
  return {
    client,
    listeners,
    setReady(value: boolean) {
      ready = value
      for (const listener of listeners) listener()
    },
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('grpc.health.v1.Health', () => {
  it('Check answers for the node ("") and for a known service', async () => {
    const { client, setReady } = node()
    expect((await client.check({ service: '' })).status).toBe(Status.SERVING)
    expect((await client.check({ service: STORAGE })).status).toBe(Status.SERVING)
    setReady(false)
    expect((await client.check({ service: '' })).status).toBe(Status.NOT_SERVING)
    expect((await client.check({ service: STORAGE })).status).toBe(Status.NOT_SERVING)
  })

  it('Check of an unknown service fails with NOT_FOUND, as the protocol says', async () => {
    const { client } = node()
    await expect(client.check({ service: 'no.such.Service' })).rejects.toMatchObject({
      code: Code.NotFound,
      rawMessage: 'unknown service "no.such.Service"',
    })
  })

  it('List reports "" and the known services', async () => {
    const { client, setReady } = node()
    setReady(false)
    const { statuses } = await client.list({})
    expect(Object.fromEntries(Object.entries(statuses).map(([name, s]) => [name, s.status]))).toEqual({
      '': Status.NOT_SERVING,
      [STORAGE]: Status.NOT_SERVING,
    })
  })

  it('Watch sends the current status, then each change (not repeats), and unsubscribes when the client leaves', async () => {
    const { client, listeners, setReady } = node()
    const abort = new AbortController()
    const stream = client.watch({ service: STORAGE }, { signal: abort.signal })[Symbol.asyncIterator]()
    expect((await stream.next()).value?.status).toBe(Status.SERVING)
    expect(listeners.size).toBe(1)
    setReady(true) // no change: nothing sent
    setReady(false)
    expect((await stream.next()).value?.status).toBe(Status.NOT_SERVING)
    setReady(true)
    expect((await stream.next()).value?.status).toBe(Status.SERVING)
    abort.abort()
    await expect(stream.next()).rejects.toMatchObject({ code: Code.Canceled })
    await vi.waitFor(() => expect(listeners.size).toBe(0))
  })

  it('Watch of an unknown service sends SERVICE_UNKNOWN and stays open', async () => {
    const { client } = node()
    const abort = new AbortController()
    const stream = client.watch({ service: 'no.such.Service' }, { signal: abort.signal })[Symbol.asyncIterator]()
    expect((await stream.next()).value?.status).toBe(Status.SERVICE_UNKNOWN)
    const more = stream.next()
    abort.abort()
    await expect(more).rejects.toMatchObject({ code: Code.Canceled })
  })

  it('Watch without a change feed finds changes by polling the check', async () => {
    vi.useFakeTimers()
    const { client, setReady } = node({ pollMs: 1000, subscribe: undefined })
    const abort = new AbortController()
    const stream = client.watch({ service: '' }, { signal: abort.signal })[Symbol.asyncIterator]()
    expect((await stream.next()).value?.status).toBe(Status.SERVING)
    setReady(false) // nobody is told
    const next = stream.next()
    await vi.advanceTimersByTimeAsync(1000)
    expect((await next).value?.status).toBe(Status.NOT_SERVING)
    expect(vi.getTimerCount()).toBe(1)
    abort.abort()
    expect(vi.getTimerCount()).toBe(0) // the poll timer goes with the client, even with the generator parked
  })
})
