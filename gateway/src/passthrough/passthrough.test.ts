import { create, fromBinary, toBinary } from '@bufbuild/protobuf'
import { Code, ConnectError, createClient, createConnectRouter } from '@connectrpc/connect'
import type { HandlerContext } from '@connectrpc/connect'
import { createFetchHandler } from '@connectrpc/connect/protocol'
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-web'
import { describe, expect, it } from 'vitest'
import { GetRecordRequestSchema, GetRecordResponseSchema, MetadataService } from '../../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { GatewayError } from '../../../internal/shell/errors.ts'
import type { HttpExchange, UpstreamRequest } from '../../../internal/shell/http-client.ts'
import { createShell } from '../../../internal/shell/shell.ts'
import type { RouteSpec, Service } from '../bundle/types.ts'
import type { GatewayVariables } from '../env.ts'
import { upstreamHeadersFor } from '../proxy/forward.ts'
import { createUpstreamEndpoints } from '../proxy/upstream-endpoints.ts'
import { createChain } from '../routing/chain.ts'
import { passthroughCors } from './cors.ts'
import { decodeBase64Chunks, encodeBase64 } from './grpc-web-text.ts'
import { createPassthrough } from './passthrough.ts'

const PATH = '/gatehouse.metadata.v1.MetadataService/GetRecord'

/** A real Connect handler (Connect, gRPC-web) for GetRecord that records the deadline it was given. */
function metadataUpstream() {
  const seen: { timeoutMs: number | undefined }[] = []
  const router = createConnectRouter()
  router.service(MetadataService, {
    getRecord(req, ctx: HandlerContext) {
      seen.push({ timeoutMs: ctx.timeoutMs() })
      if (req.key === 'missing') throw new ConnectError('no record "missing"', Code.NotFound)
      return { record: { key: req.key, value: new TextEncoder().encode(`value of ${req.key}`) } }
    },
  })
  const handlers = new Map(router.handlers.map((h) => [h.requestPath, createFetchHandler(h)]))
  const reply = (req: UpstreamRequest) => {
    const url = new URL(req.path, req.origin)
    const handler = handlers.get(url.pathname)
    if (!handler) return new Response(null, { status: 404 })
    return handler(new Request(url, { method: req.method, headers: [...req.headers], body: req.body, duplex: 'half' } as RequestInit))
  }
  return { seen, reply }
}

/** The shell with one passthrough route in front of `reply`, mounted as app.ts mounts a route. */
function passthroughEdge(reply: (req: UpstreamRequest) => Response | Promise<Response>, options: { routeTimeoutMs?: number; maxMessageBytes?: number } = {}) {
  const shell = createShell<GatewayVariables>({ node: 'gateway', runtime: { name: 'node', version: 'x' }, version: '0', sink: () => {}, accessLog: false })
  const calls: UpstreamRequest[] = []
  const http: HttpExchange = async (req) => {
    calls.push(req)
    const res = await reply(req)
    return { status: res.status, headers: new Headers(res.headers), body: res.body }
  }
  const service: Service = { name: 'metadata', kind: 'http', endpoints: [{ url: new URL('http://metadata.internal:7103'), zone: undefined }], timeoutMs: undefined, preserveHost: false }
  const route: RouteSpec = {
    id: 'metadata',
    match: { methods: ['GET', 'POST', 'OPTIONS'], host: undefined, path: '/gatehouse.metadata.v1.MetadataService/{method}', headers: {} },
    policies: [],
    timeoutMs: options.routeTimeoutMs ?? 5000,
    upstream: { kind: 'passthrough', service: 'metadata' },
    location: { file: 'b.yaml', line: 1, column: 1 },
  }
  const chain = createChain(
    [passthroughCors(), createPassthrough(route, service, http, createUpstreamEndpoints(service), { maxMessageBytes: options.maxMessageBytes })],
    shell.renderError,
  )
  shell.app.all('*', (c) => {
    c.set('upstreamHeaders', upstreamHeadersFor(c))
    return chain(c)
  })
  shell.lifecycle.markReady()
  const fetchViaEdge: typeof fetch = (input, init) => shell.app.request(new Request(input as RequestInfo, init), undefined, { remoteAddress: '10.0.0.9' }) as Promise<Response>
  return { calls, fetch: fetchViaEdge }
}

const grpcWebBody = (key: string) => {
  const message = toBinary(GetRecordRequestSchema, create(GetRecordRequestSchema, { key }))
  const out = new Uint8Array(5 + message.length)
  new DataView(out.buffer).setUint32(1, message.length)
  out.set(message, 5)
  return out
}

describe('createPassthrough', () => {
  it('forwards gRPC-web and Connect as they are, to a real Connect handler', async () => {
    const upstream = metadataUpstream()
    const edge = passthroughEdge(upstream.reply)
    const grpcWeb = createClient(MetadataService, createGrpcWebTransport({ baseUrl: 'http://gw.test', fetch: edge.fetch }))
    expect(new TextDecoder().decode((await grpcWeb.getRecord({ key: 'a' })).record?.value)).toBe('value of a')
    await expect(grpcWeb.getRecord({ key: 'missing' })).rejects.toMatchObject({ code: Code.NotFound, rawMessage: 'no record "missing"' })
    const connect = createClient(MetadataService, createConnectTransport({ baseUrl: 'http://gw.test', fetch: edge.fetch, useHttpGet: true }))
    expect((await connect.getRecord({ key: 'b' })).record?.key).toBe('b')
    expect(edge.calls.map((c) => c.method)).toEqual(['POST', 'POST', 'GET'])
  })

  it('sends the smallest of the caller\'s timeout and the route\'s upstream, in the caller\'s header', async () => {
    const upstream = metadataUpstream()
    const edge = passthroughEdge(upstream.reply, { routeTimeoutMs: 5000 })
    const grpcWeb = createClient(MetadataService, createGrpcWebTransport({ baseUrl: 'http://gw.test', fetch: edge.fetch }))
    await grpcWeb.getRecord({ key: 'a' }, { timeoutMs: 2000 })
    const connect = createClient(MetadataService, createConnectTransport({ baseUrl: 'http://gw.test', fetch: edge.fetch }))
    await connect.getRecord({ key: 'a' }, { timeoutMs: 60_000 })
    await connect.getRecord({ key: 'a' })
    expect(edge.calls.map((c) => c.timeoutMs)).toEqual([2000, 5000, 5000])
    expect(edge.calls.map((c) => c.headers.get('grpc-timeout') ?? c.headers.get('connect-timeout-ms'))).toEqual(['2000m', '5000', '5000'])
    // The service got the deadline too (less the time on the way).
    for (const { timeoutMs } of upstream.seen) expect(timeoutMs).toBeGreaterThan(1000)
  })

  it('translates gRPC-web-text both ways', async () => {
    const upstream = metadataUpstream()
    const edge = passthroughEdge(upstream.reply)
    const res = await edge.fetch(`http://gw.test${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web-text+proto' },
      body: encodeBase64(grpcWebBody('t')),
    })
    expect(edge.calls[0]?.headers.get('content-type')).toBe('application/grpc-web+proto')
    expect(res.headers.get('content-type')).toBe('application/grpc-web-text+proto')
    const body = decodeBase64Chunks(await res.text())
    const length = new DataView(body.buffer).getUint32(1)
    expect(fromBinary(GetRecordResponseSchema, body.subarray(5, 5 + length)).record?.key).toBe('t')
    expect(new TextDecoder().decode(body.subarray(10 + length))).toMatch(/^grpc-status: ?0/)
  })

  it('refuses bad input before any upstream call, in the caller\'s protocol', async () => {
    const edge = passthroughEdge(metadataUpstream().reply, { maxMessageBytes: 100 })
    const text = await edge.fetch(`http://gw.test${PATH}`, { method: 'POST', headers: { 'content-type': 'application/grpc-web-text', origin: 'https://app.test' }, body: 'AA=A' })
    expect([text.status, text.headers.get('grpc-status'), text.headers.get('access-control-allow-origin')]).toEqual([200, '3', 'https://app.test'])
    const big = await edge.fetch(`http://gw.test${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'connect-protocol-version': '1' },
      body: JSON.stringify({ key: 'x'.repeat(200) }),
    })
    expect(big.status).toBe(429)
    expect(await big.json()).toMatchObject({ code: 'resource_exhausted' })
    const client = createClient(MetadataService, createGrpcWebTransport({ baseUrl: 'http://gw.test', fetch: edge.fetch }))
    await expect(client.getRecord({ key: 'a' }, { headers: { 'grpc-timeout': '1 S' } })).rejects.toMatchObject({ code: Code.InvalidArgument })
    expect(edge.calls).toHaveLength(0)
  })

  it('answers the forward\'s failures in the caller\'s protocol', async () => {
    const silent = passthroughEdge((req) => {
      throw new GatewayError('TIMEOUT', `upstream did not answer within ${req.timeoutMs} ms`)
    })
    const stream = createClient(MetadataService, createConnectTransport({ baseUrl: 'http://gw.test', fetch: silent.fetch }))
    const watch = async () => {
      for await (const _ of stream.watchRecords({})) void _
    }
    await expect(watch()).rejects.toMatchObject({ code: Code.DeadlineExceeded })
    const down = passthroughEdge(() => {
      throw new GatewayError('UNAVAILABLE', 'upstream connection failed (ECONNREFUSED)')
    })
    const grpcWeb = createClient(MetadataService, createGrpcWebTransport({ baseUrl: 'http://gw.test', fetch: down.fetch }))
    await expect(grpcWeb.getRecord({ key: 'a' })).rejects.toMatchObject({ code: Code.Unavailable })
  })
})
