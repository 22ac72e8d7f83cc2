import { Code } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import type { WatchBatch } from './record-store.ts'
import { createMemoryStore, createStateStore } from './state-store.ts'
import { bytes } from './testing.ts'

const live = () => ({ signal: new AbortController().signal, progressIntervalMs: 60_000 })
const first = async (batches: AsyncIterable<WatchBatch>) => (await batches[Symbol.asyncIterator]().next()).value as WatchBatch

describe('state store (the commit path of local stores)', () => {
  it('keeps a bounded history in memory: older watch starts are OUT_OF_RANGE', async () => {
    const store = createMemoryStore({ retainHistory: 2 })
    for (let i = 0; i < 5; i++) await store.put('k', bytes(String(i)))
    await expect(first(store.watch('', 3n, live()))).rejects.toMatchObject({ code: Code.OutOfRange })
    expect((await first(store.watch('', 4n, live()))).events.map((e) => e.type === 'put' && e.record.version)).toEqual([4n, 5n])
  })

  it('stops writing after a failed commit (fail-stop) and never applies the failed write', async () => {
    let fail = false
    const store = createStateStore({
      persist: async () => {
        if (fail) throw new Error('EIO')
      },
    })
    await store.put('a', bytes('1'))
    fail = true
    await expect(store.put('a', bytes('2'))).rejects.toMatchObject({ code: Code.Internal })
    fail = false
    await expect(store.put('b', bytes('3'))).rejects.toMatchObject({ code: Code.Unavailable })
    expect([(await store.get('a')).record?.version, await store.revision()]).toEqual([1n, 1n])
  })

  it('serializes concurrent compare-and-set writes: exactly one create-if-absent wins', async () => {
    const store = createMemoryStore()
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.put('lock', bytes(String(i)), 0n)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(
      Array(9).fill(Code.Aborted),
    )
  })

  it('ends open watches with UNAVAILABLE when closed', async () => {
    const store = createMemoryStore()
    const watch = store.watch('', 0n, live())[Symbol.asyncIterator]()
    await watch.next() // established
    const pending = watch.next()
    await store.close()
    await expect(pending).rejects.toMatchObject({ code: Code.Unavailable })
    await expect(store.put('a', bytes('1'))).rejects.toMatchObject({ code: Code.Unavailable })
  })
})
