import { Code } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { RevisionCompactedSchema, type WatchRecordsResponse } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import type { RecordStore } from './record-store.ts'
import { bytes, failure, metadataSetup, summary, take, takeEvents } from './testing.ts'

const setup = metadataSetup()

describe('MetadataService.WatchRecords', () => {
  it('watches from a revision: the backlog, then later changes in revision order, under the prefix only', async () => {
    const { client } = await setup()
    await client.putRecord({ key: 'w/1', value: bytes('old') })
    const start = (await client.putRecord({ key: 'w/2', value: bytes('a') })).header!.revision
    await client.putRecord({ key: 'other', value: bytes('x') })
    const stream = client.watchRecords({ prefix: 'w/', startRevision: start })
    const messages = takeEvents(stream, 3)
    await client.putRecord({ key: 'w/1', value: bytes('b') })
    await client.deleteRecord({ key: 'w/2' })
    const seen = await messages
    expect(summary(seen)).toEqual([
      ['PUT', 'w/2', 2n, 'a'],
      ['PUT', 'w/1', 4n, 'b'],
      ['DELETE', 'w/2', 5n, ''],
    ])
    expect(seen.at(-1)?.header).toMatchObject({ revision: 5n, epoch: 3n })
    // A DELETE carries only the key and its revision.
    const deleted = seen.at(-1)?.events.at(-1)?.record
    expect([deleted?.version, deleted?.createRevision, deleted?.createTime, deleted?.updateTime]).toEqual([0n, 0n, undefined, undefined])
  })

  it('watch from now sends a progress notification first and when idle, then changes; it ends on cancel', async () => {
    let open = 0
    const counting = (s: RecordStore): RecordStore => ({
      ...s,
      watch: async function* (...args) {
        open++
        try {
          yield* s.watch(...args)
        } finally {
          open--
        }
      },
    })
    const { client } = await setup({ wrap: counting })
    await client.putRecord({ key: 'p/0', value: bytes('0') })
    const abort = new AbortController()
    const stream = client.watchRecords({ prefix: 'p/' }, { signal: abort.signal })[Symbol.asyncIterator]()
    const established = (await stream.next()).value as WatchRecordsResponse
    expect(established.events).toEqual([])
    expect(established.header?.revision).toBe(1n)
    const idle = (await stream.next()).value as WatchRecordsResponse // after watchProgressMs (50 ms) of silence
    expect([idle.events.length, idle.header?.revision]).toEqual([0, 1n])
    await client.putRecord({ key: 'p/1', value: bytes('1') })
    expect(summary([(await stream.next()).value as WatchRecordsResponse])).toEqual([['PUT', 'p/1', 2n, '1']])
    expect(open).toBe(1)
    const waiting = stream.next() // the server side now waits for a change
    abort.abort()
    await expect(waiting).rejects.toMatchObject({ code: Code.Canceled })
    await expect.poll(() => open).toBe(0) // the store's watch returned: no waiter, no timer left
  })

  it('keeps sending progress while only keys outside the prefix change, with the revision advancing', async () => {
    const { client } = await setup()
    const abort = new AbortController()
    const stream = client.watchRecords({ prefix: 'p/' }, { signal: abort.signal })[Symbol.asyncIterator]()
    expect(((await stream.next()).value as WatchRecordsResponse).header?.revision).toBe(0n)
    let arrived = false
    const progress = stream.next().finally(() => (arrived = true))
    let writes = 0n
    while (!arrived && writes < 5000n) writes = (await client.putRecord({ key: 'q/x', value: bytes('x') })).header!.revision
    const message = (await progress).value as WatchRecordsResponse
    expect(message.events).toEqual([])
    expect(message.header!.revision).toBeGreaterThan(0n)
    expect(message.header!.revision).toBeLessThanOrEqual(writes)
    abort.abort()
  })

  it('a watch from a compacted revision is OUT_OF_RANGE with RevisionCompacted', async () => {
    const { client, store } = await setup()
    for (let i = 0; i < 5; i++) await client.putRecord({ key: 'c', value: bytes(String(i)) })
    await store.compact()
    const err = await failure(take(client.watchRecords({ prefix: '', startRevision: 3n }), 1))
    expect(err.code).toBe(Code.OutOfRange)
    expect(err.rawMessage).toBe('revision 3 was compacted away: watch from a revision above 5 (list again first)')
    expect(err.findDetails(RevisionCompactedSchema)[0]?.compactRevision).toBe(5n)
    await client.putRecord({ key: 'c', value: bytes('5') })
    expect(summary(await take(client.watchRecords({ startRevision: 6n }), 1))).toEqual([['PUT', 'c', 6n, '5']])
  })
})
