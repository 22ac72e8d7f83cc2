import { Code, ConnectError, createClient } from '@connectrpc/connect'
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-web'
import { describe, expect, it } from 'vitest'
import { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { GatewayError } from './errors.ts'
import { encodeGrpcMessage, renderForCaller } from './rpc-errors.ts'
import { rpcProtocolOf } from './rpc-protocol.ts'

/** A fetch whose every answer is `err` rendered for the request the client made. */
const failingWith = (err: unknown): typeof fetch => async (input, init) => renderForCaller(err, new Request(input as RequestInfo, init), 'req-1')
const limited = () => new GatewayError('RATE_LIMITED', 'quota of 10/min used — slow down', { headers: { 'retry-after': '7' } })

describe('rpcProtocolOf', () => {
  const req = (method: string, headers: Record<string, string>, query = '') => new Request(`http://gw.test/a.B/C${query}`, { method, headers })
  it.each([
    ['application/grpc', 'grpc'],
    ['application/grpc+proto', 'grpc'],
    ['application/grpc-web', 'grpc-web'],
    ['Application/gRPC-Web+proto; charset=x', 'grpc-web'],
    ['application/grpc-web-text+proto', 'grpc-web-text'],
    ['application/connect+json', 'connect-stream'],
  ])('reads %s as %s', (type, protocol) => {
    expect(rpcProtocolOf(req('POST', { 'content-type': type }))).toBe(protocol)
  })

  it('needs Connect-Protocol-Version for a Connect unary POST, or ?connect=v1 on a GET', () => {
    expect(rpcProtocolOf(req('POST', { 'content-type': 'application/json', 'connect-protocol-version': '1' }))).toBe('connect-unary')
    expect(rpcProtocolOf(req('GET', {}, '?connect=v1&encoding=json&message=%7B%7D'))).toBe('connect-unary')
    expect(rpcProtocolOf(req('POST', { 'content-type': 'application/json' }))).toBeUndefined()
    expect(rpcProtocolOf(req('GET', {}, '?connected=v1'))).toBeUndefined()
    expect(rpcProtocolOf(req('POST', { 'content-type': 'application/grpcish' }))).toBeUndefined()
  })
})

describe('renderForCaller', () => {
  it('gives a Connect client its code, message and headers, with Connect\'s HTTP status', async () => {
    let status = 0
    const fetchAndLook: typeof fetch = async (input, init) => {
      const res = await failingWith(limited())(input, init)
      status = res.status
      return res
    }
    const client = createClient(MetadataService, createConnectTransport({ baseUrl: 'http://gw.test', fetch: fetchAndLook }))
    const err = await client.getRecord({ key: 'a' }).then(
      () => new ConnectError('unexpected success'),
      (e: unknown) => ConnectError.from(e),
    )
    expect(err).toMatchObject({ code: Code.ResourceExhausted, rawMessage: 'quota of 10/min used — slow down' })
    expect(err.metadata.get('retry-after')).toBe('7')
    expect(status).toBe(429)
  })

  it('ends a Connect stream with an end-stream frame carrying the error', async () => {
    const client = createClient(MetadataService, createConnectTransport({ baseUrl: 'http://gw.test', fetch: failingWith(new GatewayError('UNAUTHENTICATED', 'no token')) }))
    const read = async () => {
      for await (const _ of client.watchRecords({ prefix: 'a' })) void _
    }
    await expect(read()).rejects.toMatchObject({ code: Code.Unauthenticated, rawMessage: 'no token' })
  })

  it('answers gRPC-web trailers-only, so the client reads the status from the headers', async () => {
    const res = renderForCaller(limited(), new Request('http://gw.test/a.B/C', { method: 'POST', headers: { 'content-type': 'application/grpc-web+proto' } }), 'r')
    expect(res.status).toBe(200)
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'content-type': 'application/grpc-web+proto',
      'grpc-status': '8',
      'grpc-message': 'quota of 10/min used %E2%80%94 slow down',
      'retry-after': '7',
    })
    expect(await res.text()).toBe('')
    const client = createClient(MetadataService, createGrpcWebTransport({ baseUrl: 'http://gw.test', fetch: failingWith(new GatewayError('PERMISSION_DENIED', 'tenant mismatch')) }))
    await expect(client.getRecord({ key: 'a' })).rejects.toMatchObject({ code: Code.PermissionDenied, rawMessage: 'tenant mismatch' })
  })

  it('calls a route that does not exist unimplemented for RPC clients, and keeps problem+json for the rest', async () => {
    const notFound = new GatewayError('NOT_FOUND', 'no route for POST /a.B/C')
    const client = createClient(MetadataService, createGrpcWebTransport({ baseUrl: 'http://gw.test', fetch: failingWith(notFound) }))
    await expect(client.getRecord({ key: 'a' })).rejects.toMatchObject({ code: Code.Unimplemented })
    const plain = renderForCaller(notFound, new Request('http://gw.test/x'), 'req-9')
    expect(plain.status).toBe(404)
    expect(plain.headers.get('content-type')).toBe('application/problem+json')
    expect(await plain.json()).toMatchObject({ code: 'NOT_FOUND', requestId: 'req-9' })
  })

  it('never leaks a foreign error, in any protocol', async () => {
    const res = renderForCaller(new Error('secret at /srv/x.ts'), new Request('http://gw.test/a.B/C', { method: 'POST', headers: { 'content-type': 'application/grpc' } }), 'r')
    expect(res.headers.get('grpc-status')).toBe('13')
    expect(res.headers.get('grpc-message')).toBe('internal error')
  })

  it('percent-encodes grpc-message as gRPC specifies', () => {
    expect(encodeGrpcMessage('a%b\n€')).toBe('a%25b%0A%E2%82%AC')
  })
})
