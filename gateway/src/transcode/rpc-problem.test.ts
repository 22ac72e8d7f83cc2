import { create, toBinary } from '@bufbuild/protobuf'
import { Code, ConnectError } from '@connectrpc/connect'
import { codeToHttpStatus } from '@connectrpc/connect/protocol-connect'
import { describe, expect, it } from 'vitest'
import { NotLeaderSchema } from '../../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { CODE_INFO, GatewayError } from '../../../internal/shell/errors.ts'
import { PROTO_REGISTRY } from './registry.ts'
import { RPC_CODES, rpcProblem, rpcProblemResponse } from './rpc-problem.ts'

const ALL_CODES = Object.values(Code).filter((c): c is Code => typeof c === 'number')

describe('RPC_CODES', () => {
  it("uses the HTTP status of Connect's code table for every code", () => {
    expect(ALL_CODES).toHaveLength(16)
    for (const code of ALL_CODES) expect([code, RPC_CODES[code].status]).toEqual([code, codeToHttpStatus(code)])
  })

  it('maps to the taxonomy code that speaks the same Connect code, where there is one', () => {
    for (const code of ALL_CODES) {
      const { connect, code: taxonomy } = RPC_CODES[code]
      const same = Object.values(CODE_INFO).some((info) => info.connect === connect)
      if (same) expect(CODE_INFO[taxonomy].connect).toBe(connect)
    }
  })
})

describe('rpcProblem', () => {
  it('keeps a 4xx message and renders details in Connect JSON shape, decoded when known', () => {
    const err = new ConnectError('not the leader', Code.FailedPrecondition, undefined, [
      { desc: NotLeaderSchema, value: { leaderAddress: 'http://m2:7301', epoch: 7n } },
    ])
    const p = rpcProblem(err, 'r1', PROTO_REGISTRY)
    expect(p.status).toBe(400)
    expect(p.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'not the leader' })
    expect(p.document).toMatchObject({ status: 400, connectCode: 'failed_precondition', detail: 'not the leader', requestId: 'r1' })
    expect(p.document.details).toEqual([
      { type: 'gatehouse.metadata.v1.NotLeader', value: expect.any(String), debug: { leaderAddress: 'http://m2:7301', epoch: '7' } },
    ])
  })

  it('decodes incoming (wire) details by type name, and keeps unknown ones opaque', () => {
    const bytes = toBinary(NotLeaderSchema, create(NotLeaderSchema, { epoch: 3n }))
    const err = new ConnectError('x', Code.Unavailable)
    err.details.push({ type: 'gatehouse.metadata.v1.NotLeader', value: bytes }, { type: 'acme.Secret', value: new Uint8Array([1, 2]) })
    expect(rpcProblem(err, undefined, PROTO_REGISTRY).document.details).toEqual([
      { type: 'gatehouse.metadata.v1.NotLeader', value: 'EAM', debug: { epoch: '3' } },
      { type: 'acme.Secret', value: 'AQI' },
    ])
  })

  it('withholds the message of every 5xx and the details of unknown/internal/data_loss', () => {
    for (const code of [Code.Unknown, Code.Internal, Code.DataLoss]) {
      const err = new ConnectError('stack at /srv/x.js', code, undefined, [{ desc: NotLeaderSchema, value: {} }])
      const { document } = rpcProblem(err, undefined, PROTO_REGISTRY)
      expect(document).toMatchObject({ status: 500, code: 'INTERNAL', detail: 'Internal error' })
      expect(document).not.toHaveProperty('details')
    }
    expect(rpcProblem(new ConnectError('10.1.2.3 down', Code.Unavailable), undefined, PROTO_REGISTRY).document.detail).toBe('Upstream unavailable')
  })

  it('treats anything that is not a ConnectError as internal, and a fetch network failure as unavailable', () => {
    expect(rpcProblem(new RangeError('secret'), undefined, PROTO_REGISTRY).document).toMatchObject({ status: 500, detail: 'Internal error' })
    const network = new ConnectError('fetch failed', Code.Unknown, undefined, undefined, new TypeError('fetch failed'))
    expect(rpcProblem(network, undefined, PROTO_REGISTRY).document).toMatchObject({ status: 503, connectCode: 'unavailable' })
  })

  it('keeps the code and message of a GatewayError thrown on the way (an egress wrapper)', () => {
    const err = new GatewayError('NOT_FOUND', 'no such bucket')
    expect(rpcProblem(err, undefined, PROTO_REGISTRY).document).toMatchObject({ status: 404, connectCode: 'not_found', detail: 'no such bucket' })
  })

  it('renders as application/problem+json with the status', async () => {
    const res = rpcProblemResponse(rpcProblem(new ConnectError('gone', Code.NotFound), 'r2', PROTO_REGISTRY))
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toEqual({
      type: 'urn:gatehouse:problem:not-found',
      title: 'Not found',
      status: 404,
      code: 'NOT_FOUND',
      connectCode: 'not_found',
      detail: 'gone',
      requestId: 'r2',
    })
  })
})
