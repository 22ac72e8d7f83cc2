import { create } from '@bufbuild/protobuf'
import { Code, ConnectError } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { NotLeaderSchema } from '../../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { notLeader } from './not-leader.ts'
import { provedNotSent } from './retry.ts'
import { egressOver, failure, manualClock } from './testing.ts'

const F1 = 'http://follower-1.test:7003'
const F2 = 'http://follower-2.test:7003'
const L = 'http://leader.test:7003'

const text = (res: { record?: { value: Uint8Array } | undefined }) => new TextDecoder().decode(res.record?.value)

describe('notLeader', () => {
  it('reads the NotLeader detail, normalises the address and marks the error as not sent', () => {
    const detail = { desc: NotLeaderSchema, value: create(NotLeaderSchema, { leaderAddress: 'http://leader.test:7003/', epoch: 3n }) }
    const err = new ConnectError('not the leader', Code.Unavailable, undefined, [detail])
    expect(notLeader(err)).toEqual({ leader: L })
    expect(provedNotSent(err)).toBe(true)
    expect(notLeader(new ConnectError('down', Code.Unavailable))).toBeUndefined()
    expect(notLeader(new ConnectError('x', Code.Aborted, undefined, [detail]))).toBeUndefined()
  })
})

describe('egress client: NOT_LEADER following', () => {
  it('resends any method once to the leader named by NOT_LEADER, and sends later calls there first', async () => {
    const { metadata, node } = egressOver([F1, F2], {}, [L])
    node(F1).mode = node(F2).mode = { notLeader: L }
    // PutRecord is not retry-safe, but a NOT_LEADER answer proves it had no effect.
    expect(text(await metadata.putRecord({ key: 'k' }))).toBe(L)
    expect(node(F1).calls).toEqual(['putRecord'])
    expect(text(await metadata.putRecord({ key: 'k' }))).toBe(L)
    expect(text(await metadata.getRecord({ key: 'k' }))).toBe(L)
    expect(node(F1).calls.length + node(F2).calls.length).toBe(1) // the hint: no more detours
    expect(node(L).calls).toEqual(['putRecord', 'putRecord', 'getRecord'])
  })

  it('follows only once per call: a leader that also says NOT_LEADER ends a non-idempotent call', async () => {
    const { metadata, node } = egressOver([F1], { retry: { maxAttempts: 1 } }, [L])
    node(F1).mode = { notLeader: L }
    node(L).mode = { notLeader: F1 }
    const err = await failure(metadata.putRecord({ key: 'k' }))
    expect(err.code).toBe(Code.Unavailable)
    expect(err.findDetails(NotLeaderSchema)[0]?.leaderAddress).toBe(F1)
    expect(node(F1).calls).toHaveLength(1)
    expect(node(L).calls).toHaveLength(1)
  })

  it('retries with backoff, for any method, while no leader is known (empty address)', async () => {
    const { metadata, node } = egressOver([F1, F2])
    node(F1).mode = { notLeader: undefined }
    expect(text(await metadata.putRecord({ key: 'k' }))).toBe(F2)
    expect(node(F1).calls).toEqual(['putRecord'])
  })

  it('forgets the leader hint after leaderTtlMs', async () => {
    const clock = manualClock()
    const { metadata, node, transport } = egressOver([F1], { now: clock.now, leaderTtlMs: 1_000 }, [L])
    node(F1).mode = { notLeader: L }
    await metadata.getRecord({ key: 'k' })
    expect(transport.endpoints().map((e) => e.url)).toEqual([F1, L]) // a temporary endpoint
    clock.advance(1_000)
    node(F1).mode = 'ok'
    expect(text(await metadata.getRecord({ key: 'k' }))).toBe(F1)
    expect(transport.endpoints().map((e) => e.url)).toEqual([F1])
  })

  it('does not count NOT_LEADER against the follower: its breaker stays closed', async () => {
    const { metadata, node, transport } = egressOver([F1], { breaker: { consecutiveFailures: 1 }, leaderTtlMs: 1 }, [L])
    node(F1).mode = { notLeader: L }
    for (let i = 0; i < 3; i++) await metadata.getRecord({ key: 'k' })
    expect(transport.endpoints().find((e) => e.url === F1)?.state).toBe('closed')
  })
})
