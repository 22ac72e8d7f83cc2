import { durationFromMs, timestampMs } from '@bufbuild/protobuf/wkt'
import { Code, createClient, createRouterTransport } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { NotLeaderSchema } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { NodeRole, RegistryService, type WatchNodesResponse } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import type { LeaderInfo } from './leader.ts'
import { createRegistryService } from './registry.ts'
import { failure, manualTime } from './testing.ts'

function setup(node?: LeaderInfo) {
  const time = manualTime()
  const service = createRegistryService({ clock: time.clock, timers: time.timers, node })
  const client = createClient(RegistryService, createRouterTransport(({ service: add }) => add(RegistryService, service)))
  return { time, client }
}

const storage = (nodeId: string, zone = 'a', ttlMs = 10_000) => ({
  nodeId,
  role: NodeRole.STORAGE,
  address: `http://${nodeId}.internal:8081`,
  zone,
  labels: { 'tier': 'hot' },
  ttl: durationFromMs(ttlMs),
})

const ids = (m: WatchNodesResponse | undefined) => m?.nodes.map((n) => n.nodeId)

describe('RegistryService', () => {
  it('registers (an idempotent upsert), heartbeats, lists with filters, deregisters', async () => {
    const { client, time } = setup()
    const { node } = await client.registerNode(storage('s1'))
    expect(node).toMatchObject({ nodeId: 's1', role: NodeRole.STORAGE, address: 'http://s1.internal:8081', zone: 'a' })
    expect(timestampMs(node!.expireTime!) - timestampMs(node!.registerTime!)).toBe(10_000)
    await client.registerNode({ ...storage('s1', 'b'), labels: { tier: 'cold' } })
    await client.registerNode({ nodeId: 'g1', role: NodeRole.GATEWAY, address: 'https://[::1]:8443' })
    const all = await client.listNodes({})
    expect(all.nodes.map((n) => [n.nodeId, n.zone, n.labels])).toEqual([
      ['g1', '', {}],
      ['s1', 'b', { tier: 'cold' }],
    ])
    expect(all.nodes[0]?.ttl).toMatchObject({ seconds: 10n }) // unset TTL means 10 s
    expect((await client.listNodes({ role: NodeRole.STORAGE })).nodes.map((n) => n.nodeId)).toEqual(['s1'])
    expect((await client.listNodes({ zone: 'a' })).nodes).toEqual([])

    time.advance(6_000)
    const beat = await client.heartbeat({ nodeId: 's1' })
    expect(timestampMs(beat.expireTime!)).toBe(time.clock() + 10_000)
    time.advance(6_000) // g1's lease (no heartbeat) is over; s1's was renewed
    expect((await client.listNodes({})).nodes.map((n) => n.nodeId)).toEqual(['s1'])

    await client.deregisterNode({ nodeId: 's1' })
    await client.deregisterNode({ nodeId: 's1' }) // succeeds when not registered
    expect((await client.listNodes({})).nodes).toEqual([])
    const gone = await failure(client.heartbeat({ nodeId: 's1' }))
    expect([gone.code, gone.rawMessage]).toEqual([
      Code.NotFound,
      'node "s1" is not registered (its lease expired, or the leader changed): register again',
    ])
  })

  it('expires a lease after its TTL without heartbeats', async () => {
    const { client, time } = setup()
    await client.registerNode(storage('s1', 'a', 2_000))
    time.advance(1_999)
    expect((await client.listNodes({})).nodes).toHaveLength(1)
    time.advance(1)
    expect((await client.listNodes({})).nodes).toHaveLength(0)
    expect((await failure(client.heartbeat({ nodeId: 's1' }))).code).toBe(Code.NotFound)
  })

  it('pages through nodes with a token bound to the filter', async () => {
    const { client } = setup()
    for (const id of ['n5', 'n1', 'n3', 'n2', 'n4']) await client.registerNode(storage(id))
    const first = await client.listNodes({ pageSize: 2 })
    const second = await client.listNodes({ pageSize: 2, pageToken: first.nextPageToken })
    const third = await client.listNodes({ pageSize: 2, pageToken: second.nextPageToken })
    expect([first, second, third].map((p) => p.nodes.map((n) => n.nodeId))).toEqual([['n1', 'n2'], ['n3', 'n4'], ['n5']])
    expect(third.nextPageToken).toBe('')
    const other = await failure(client.listNodes({ zone: 'b', pageToken: first.nextPageToken }))
    expect(other.rawMessage).toBe('page_token was issued for a different role or zone: keep the other request fields unchanged between pages')
  })

  it('watch: the full matching set at once, then after each change (not after heartbeats), expiry included', async () => {
    const { client, time } = setup()
    await client.registerNode(storage('s1', 'a', 5_000))
    await client.registerNode(storage('other-zone', 'b'))
    const abort = new AbortController()
    const watch = client.watchNodes({ role: NodeRole.STORAGE, zone: 'a' }, { signal: abort.signal })[Symbol.asyncIterator]()
    const next = async () => (await watch.next()).value as WatchNodesResponse

    expect(ids(await next())).toEqual(['s1'])
    await client.heartbeat({ nodeId: 's1' }) // not a change
    await client.registerNode(storage('other-zone', 'b', 20_000)) // outside the filter
    await client.registerNode(storage('s2', 'a', 20_000))
    expect(ids(await next())).toEqual(['s1', 's2']) // the first message after the heartbeat is the registration
    await client.registerNode({ ...storage('s2', 'a', 20_000), address: 'http://s2.internal:9000' })
    expect((await next()).nodes[1]?.address).toBe('http://s2.internal:9000')
    const expiry = next()
    time.advance(5_000) // s1's lease ends: the sweep timer fires and wakes the watch
    expect(ids(await expiry)).toEqual(['s2'])
    await client.deregisterNode({ nodeId: 's2' })
    expect(ids(await next())).toEqual([])
    const pending = watch.next()
    abort.abort()
    await expect(pending).rejects.toMatchObject({ code: Code.Canceled })
  })

  it('rejects invalid registrations precisely and registers nothing', async () => {
    const { client } = setup()
    const cases: [Record<string, unknown>, string][] = [
      [{ nodeId: '' }, 'node_id is empty; it is 1 to 128 characters of [A-Za-z0-9._:-]'],
      [{ nodeId: 'a b' }, 'node_id "a b" contains " "; allowed characters are [A-Za-z0-9._:-]'],
      [{ nodeId: 'x'.repeat(129) }, 'node_id is 129 characters; at most 128'],
      [{ role: NodeRole.UNSPECIFIED }, 'role is required (NODE_ROLE_UNSPECIFIED is not a role)'],
      [{ role: 9 }, 'role 9 is not a NodeRole'],
      [{ address: 'http://h:80/path' }, 'address "http://h:80/path" is not a base URL "http://host:port" or "https://host:port" (no path)'],
      [{ address: 'h:80' }, 'address "h:80" is not a base URL "http://host:port" or "https://host:port" (no path)'],
      [{ address: 'http://h:70000' }, 'address "http://h:70000" is not a base URL "http://host:port" or "https://host:port" (no path)'],
      [{ ttl: durationFromMs(500) }, 'ttl is 0.5s; it must be from 1s to 300s (5 min), or unset for 10s'],
      [{ ttl: durationFromMs(301_000) }, 'ttl is 301s; it must be from 1s to 300s (5 min), or unset for 10s'],
      [{ labels: { Tier: 'x' } }, 'label key "Tier" is not 1 to 63 characters of [a-z0-9._/-]'],
      [{ labels: { tier: 'v'.repeat(257) } }, 'label "tier" has a value of 257 characters; at most 256'],
      [{ labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) }, 'labels has 33 entries; at most 32'],
      [{ zone: 'a\nb' }, 'zone "a\\nb" contains a control character'],
    ]
    for (const [change, message] of cases) {
      const err = await failure(client.registerNode({ ...storage('s1'), ...change }))
      expect([err.code, err.rawMessage]).toEqual([Code.InvalidArgument, message])
    }
    expect((await failure(client.heartbeat({ nodeId: 'bad id' }))).code).toBe(Code.InvalidArgument)
    expect((await failure(client.listNodes({ role: 7 as NodeRole }))).rawMessage).toBe('role 7 is not a NodeRole')
    expect((await client.listNodes({})).nodes).toEqual([])
  })

  it('answers NOT_LEADER with the leader address when this node does not lead', async () => {
    const { client } = setup({ epoch: () => 2n, isLeader: () => false, leaderAddress: () => 'http://10.0.0.7:7003' })
    const err = await failure(client.registerNode(storage('s1')))
    expect(err.code).toBe(Code.Unavailable)
    expect(err.findDetails(NotLeaderSchema)[0]).toMatchObject({ leaderAddress: 'http://10.0.0.7:7003', epoch: 2n })
  })
})
