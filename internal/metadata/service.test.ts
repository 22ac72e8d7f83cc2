import { Code } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { NotLeaderSchema, StaleEpochSchema, VersionConflictSchema } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { singleNode, type LeaderInfo } from './leader.ts'
import { bytes, failure, LEADER_ADDRESS, metadataSetup, take, text } from './testing.ts'

const setup = metadataSetup()

describe('MetadataService', () => {
  it('compare-and-set: create-if-absent, update at the right version, VersionConflict otherwise', async () => {
    const { client } = await setup()
    const created = await client.putRecord({ key: 'a/b', value: bytes('1'), expectedVersion: 0n })
    expect(created.record).toMatchObject({ key: 'a/b', version: 1n, createRevision: 1n, modRevision: 1n })
    expect(created.header).toMatchObject({ revision: 1n, epoch: 3n })

    const again = await failure(client.putRecord({ key: 'a/b', value: bytes('x'), expectedVersion: 0n }))
    expect(again.code).toBe(Code.Aborted)
    expect(again.rawMessage).toBe('record "a/b" already exists at version 1 (expected it not to exist)')
    expect(again.findDetails(VersionConflictSchema)[0]).toMatchObject({ key: 'a/b', expectedVersion: 0n, currentVersion: 1n })

    const updated = await client.putRecord({ key: 'a/b', value: bytes('2'), expectedVersion: 1n })
    expect(updated.record).toMatchObject({ version: 2n, createRevision: 1n, modRevision: 2n })
    const stale = await failure(client.putRecord({ key: 'a/b', value: bytes('x'), expectedVersion: 1n }))
    expect(stale.findDetails(VersionConflictSchema)[0]).toMatchObject({ expectedVersion: 1n, currentVersion: 2n })
    const missing = await failure(client.putRecord({ key: 'nope', value: bytes('x'), expectedVersion: 4n }))
    expect(missing.findDetails(VersionConflictSchema)[0]).toMatchObject({ key: 'nope', expectedVersion: 4n, currentVersion: 0n })

    const got = await client.getRecord({ key: 'a/b' })
    expect(text(got.record!.value)).toBe('2')
    expect(got.header).toMatchObject({ revision: 2n, epoch: 3n })
    expect((await client.putRecord({ key: 'a/b', value: bytes('3') })).record?.version).toBe(3n)
  })

  it('deletes at the expected version; a deleted key is NOT_FOUND and restarts at version 1', async () => {
    const { client } = await setup()
    await client.putRecord({ key: 'k', value: bytes('1') })
    await client.putRecord({ key: 'k', value: bytes('2') })
    const wrong = await failure(client.deleteRecord({ key: 'k', expectedVersion: 1n }))
    expect(wrong.code).toBe(Code.Aborted)
    expect(wrong.findDetails(VersionConflictSchema)[0]).toMatchObject({ expectedVersion: 1n, currentVersion: 2n })
    expect((await client.deleteRecord({ key: 'k', expectedVersion: 2n })).header).toMatchObject({ revision: 3n })
    expect((await failure(client.getRecord({ key: 'k' }))).code).toBe(Code.NotFound)
    const gone = await failure(client.deleteRecord({ key: 'k' }))
    expect([gone.code, gone.rawMessage]).toEqual([Code.NotFound, 'record "k" not found'])
    expect((await client.putRecord({ key: 'k', value: bytes('3') })).record).toMatchObject({ version: 1n, createRevision: 4n })
  })

  it('lists by prefix in byte order, page by page, with tokens bound to the prefix', async () => {
    const { client } = await setup()
    for (const key of ['a/3', 'a/1', 'b/1', 'a/2', 'a/\u{1F600}', 'a/\uFFFD', 'a/4']) await client.putRecord({ key, value: bytes(key) })
    const keys: string[] = []
    let token = ''
    let pages = 0
    do {
      const page = await client.listRecords({ prefix: 'a/', pageSize: 2, pageToken: token })
      expect(page.header?.revision).toBe(7n)
      keys.push(...page.records.map((r) => r.key))
      token = page.nextPageToken
      pages++
    } while (token)
    expect(pages).toBe(3)
    // UTF-8 byte order: U+FFFD (EF BF BD) sorts before U+1F600 (F0 9F 98 80), unlike UTF-16 order.
    expect(keys).toEqual(['a/1', 'a/2', 'a/3', 'a/4', 'a/\uFFFD', 'a/\u{1F600}'])
    const all = await client.listRecords({})
    expect([all.records.length, all.nextPageToken]).toEqual([7, ''])

    const first = await client.listRecords({ prefix: 'a/', pageSize: 2 })
    const other = await failure(client.listRecords({ prefix: 'b/', pageToken: first.nextPageToken }))
    expect([other.code, other.rawMessage]).toEqual([
      Code.InvalidArgument,
      'page_token was issued for a different prefix: keep the other request fields unchanged between pages',
    ])
    const junk = await failure(client.listRecords({ prefix: 'a/', pageToken: 'not-a-token' }))
    expect(junk.rawMessage).toBe('page_token is malformed: pass the next_page_token of the previous page unchanged')
    expect((await client.listRecords({ prefix: 'a/', pageSize: 5000 })).records).toHaveLength(6)
  })

  it('fences writes by epoch: stale is ABORTED + StaleEpoch, newer is NOT_LEADER, equal or 0 passes', async () => {
    const { client } = await setup({ node: singleNode(LEADER_ADDRESS, 5n) })
    const stale = await failure(client.putRecord({ key: 'e', value: bytes('x'), epoch: 4n }))
    expect([stale.code, stale.rawMessage]).toEqual([Code.Aborted, "epoch 4 is stale: the leader's epoch is 5"])
    expect(stale.findDetails(StaleEpochSchema)[0]).toMatchObject({ currentEpoch: 5n, requestEpoch: 4n })
    const staleDelete = await failure(client.deleteRecord({ key: 'e', epoch: 1n }))
    expect(staleDelete.findDetails(StaleEpochSchema)[0]).toMatchObject({ currentEpoch: 5n, requestEpoch: 1n })
    const ahead = await failure(client.putRecord({ key: 'e', value: bytes('x'), epoch: 6n }))
    expect(ahead.code).toBe(Code.Unavailable)
    expect(ahead.findDetails(NotLeaderSchema)[0]).toMatchObject({ leaderAddress: '', epoch: 0n })
    expect((await client.listRecords({})).records).toEqual([])
    expect((await client.putRecord({ key: 'e', value: bytes('1'), epoch: 5n })).header?.epoch).toBe(5n)
    expect((await client.putRecord({ key: 'e', value: bytes('2'), epoch: 0n })).record?.version).toBe(2n)
  })

  it('a node that is not the leader answers every method with NOT_LEADER and the leader address', async () => {
    const follower: LeaderInfo = { epoch: () => 8n, isLeader: () => false, leaderAddress: () => 'http://10.0.0.7:7003' }
    const { client, store } = await setup({ node: follower })
    const calls = [
      client.putRecord({ key: 'k', value: bytes('v') }),
      client.getRecord({ key: 'k' }),
      client.deleteRecord({ key: 'k' }),
      client.listRecords({}),
      take(client.watchRecords({}), 1),
    ]
    for (const call of calls) {
      const err = await failure(call)
      expect(err.code).toBe(Code.Unavailable)
      expect(err.rawMessage).toBe('this node is not the metadata leader; the leader is http://10.0.0.7:7003')
      expect(err.findDetails(NotLeaderSchema)[0]).toMatchObject({ leaderAddress: 'http://10.0.0.7:7003', epoch: 8n })
    }
    expect(await store.revision()).toBe(0n)
  })

  it('rejects invalid input with a precise INVALID_ARGUMENT and changes nothing', async () => {
    const { client, store } = await setup()
    await client.putRecord({ key: 'ok', value: bytes('v') })
    const cases: [Promise<unknown>, string][] = [
      [client.putRecord({ key: '', value: bytes('v') }), 'key is empty; a key is 1 to 1024 bytes'],
      [client.putRecord({ key: '/a', value: bytes('v') }), 'key "/a" starts with "/"'],
      [client.putRecord({ key: 'a/', value: bytes('v') }), 'key "a/" ends with "/"'],
      [client.putRecord({ key: 'a//b', value: bytes('v') }), 'key "a//b" has an empty segment ("//")'],
      [client.putRecord({ key: 'a\nb', value: bytes('v') }), 'key "a\\nb" contains the control character U+000A at index 1'],
      [client.putRecord({ key: 'a\u007f', value: bytes('v') }), 'key "a\u007f" contains the control character U+007F at index 1'],
      [client.putRecord({ key: 'é'.repeat(513), value: bytes('v') }), 'key is 1026 bytes of UTF-8; at most 1024'],
      [client.putRecord({ key: 'big', value: new Uint8Array(1_048_577) }), 'value is 1048577 bytes; at most 1048576 (1 MiB)'],
      [client.putRecord({ key: 'ok', value: bytes('v'), expectedVersion: -1n }), 'expected_version is -1; it must not be negative'],
      [client.putRecord({ key: 'ok', value: bytes('v'), epoch: -2n }), 'epoch is -2; it must not be negative'],
      [client.deleteRecord({ key: 'ok/' }), 'key "ok/" ends with "/"'],
      [client.getRecord({ key: 'a//' }), 'key "a//" ends with "/"'],
      [client.listRecords({ pageSize: -1 }), 'page_size is -1; it must not be negative'],
      [client.listRecords({ prefix: 'x\t' }), 'prefix "x\\t" contains the control character U+0009 at index 1'],
      [take(client.watchRecords({ startRevision: -5n }), 1), 'start_revision is -5; it must not be negative'],
    ]
    for (const [call, message] of cases) {
      const err = await failure(call)
      expect([err.code, err.rawMessage]).toEqual([Code.InvalidArgument, message])
    }
    expect(await store.revision()).toBe(1n)
    expect((await client.getRecord({ key: 'ok' })).record?.version).toBe(1n)
    expect(await client.putRecord({ key: 'max', value: new Uint8Array(1_048_576) })).toBeTruthy()
  })
})
