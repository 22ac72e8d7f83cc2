import { create, fromBinary, toBinary } from '@bufbuild/protobuf'
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'
import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GetRecordRequestSchema, GetRecordResponseSchema, MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { RegistryService } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { DigestAlgorithm, ProcessingService, TaskState } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { createTestIssuer, envelope, frames, parseTrailer, startRoleNodes } from '../support/rpc-nodes.ts'
import type { RoleNodes } from '../support/rpc-nodes.ts'
import { removeDir, startGateway, writeBundle } from './harness.ts'
import type { GatewayProcess } from './harness.ts'

/**
 * Connect (JSON and binary, connect-node) and raw gRPC-web (binary and -text, fetch) through
 * `passthrough` routes of a real gateway to real storage, processing and metadata nodes.
 */

const issuer = await createTestIssuer()
const METADATA = '/gatehouse.metadata.v1.MetadataService'
const ROUTE_TIMEOUT_MS = 1500
const encoder = new TextEncoder()

function bundle(urls: RoleNodes['urls'], blackHoles: readonly string[]): Record<string, string> {
  const rpc = '{ method: [GET, POST, OPTIONS], path: "/gatehouse.'
  return {
    'bundle.yaml': `services:
  storage: { endpoints: [{ url: ${urls.storage} }] }
  processing: { endpoints: [{ url: ${urls.processing} }] }
  metadata: { endpoints: [{ url: ${urls.metadata} }] }
  black-hole: { endpoints: [${blackHoles.map((url) => `{ url: ${url} }`).join(', ')}] }
policies:
${issuer.policy}
routes:
  - { id: list-records, match: ${rpc}metadata.v1.MetadataService/ListRecords" }, timeout: ${ROUTE_TIMEOUT_MS}ms, passthrough: black-hole }
  - { id: watch-records, match: ${rpc}metadata.v1.MetadataService/WatchRecords" }, timeout: ${ROUTE_TIMEOUT_MS}ms, passthrough: metadata }
  - { id: delete-record, match: ${rpc}metadata.v1.MetadataService/DeleteRecord" }, policies: [auth], passthrough: metadata }
  - { id: registry, match: ${rpc}metadata.v1.RegistryService/{method}" }, policies: [auth], passthrough: metadata }
  - { id: metadata, match: ${rpc}metadata.v1.MetadataService/{method}" }, passthrough: metadata }
  - { id: storage, match: ${rpc}storage.v1.StorageService/{method}" }, passthrough: storage }
  - { id: processing, match: ${rpc}processing.v1.ProcessingService/{method}" }, passthrough: processing }
`,
  }
}

/**
 * An upstream that accepts connections and never answers, for deadlines the gateway enforces
 * itself. Two of them behind one service, so the timeouts of this file stay under the endpoint
 * breaker's five consecutive failures.
 */
async function startBlackHole(): Promise<{ server: Server; sockets: Socket[]; url: string }> {
  const sockets: Socket[] = []
  const server = createServer((socket) => sockets.push(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, sockets, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

let nodes: RoleNodes
let holes: Awaited<ReturnType<typeof startBlackHole>>[] = []
let dir: string
let gw: GatewayProcess
/** The same bundle on Bun and Deno, started beside the Node gateway. */
let others: Partial<Record<'bun' | 'deno', GatewayProcess>> = {}

beforeAll(async () => {
  ;[nodes, ...holes] = await Promise.all([startRoleNodes(['storage', 'processing', 'metadata']), startBlackHole(), startBlackHole()])
  dir = await writeBundle(bundle(nodes.urls, holes.map((h) => h.url)))
  const [node, bun, deno] = await Promise.all([startGateway('node', dir), startGateway('bun', dir), startGateway('deno', dir)])
  gw = node
  others = { bun, deno }
}, 60_000)
afterAll(async () => {
  await Promise.all([gw?.stop(), others.bun?.stop(), others.deno?.stop()])
  await nodes?.stop()
  for (const hole of holes) {
    for (const socket of hole.sockets) socket.destroy()
    hole.server.close()
  }
  if (dir) await removeDir(dir)
})

/** The error a call rejected with (fails the test when it succeeded). */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
  return call.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (err: unknown) => ConnectError.from(err),
  )
}

describe.each([
  ['JSON', false],
  ['binary', true],
])('Connect (%s) through passthrough routes', (format, useBinaryFormat) => {
  const transport = () => createConnectTransport({ baseUrl: gw.url, httpVersion: '1.1', useBinaryFormat })
  const tag = format.toLowerCase()

  it('reaches storage, processing and metadata, unary, client and server streaming', async () => {
    const storage = createClient(StorageService, transport())
    const processing = createClient(ProcessingService, transport())
    const metadata = createClient(MetadataService, transport())

    await storage.createBucket({ bucket: `b-${tag}` })
    const data = new Uint8Array(300_000).map((_, i) => (i * 13) % 251)
    async function* upload() {
      yield { content: { case: 'header' as const, value: { bucket: `b-${tag}`, key: 'o.bin' } } }
      for (let at = 0; at < data.length; at += 100_000) yield { content: { case: 'chunk' as const, value: data.subarray(at, at + 100_000) } }
    }
    expect((await storage.putObject(upload())).object?.size).toBe(BigInt(data.length))
    const chunks: Uint8Array[] = []
    for await (const m of storage.getObject({ bucket: `b-${tag}`, key: 'o.bin' })) if (m.content.case === 'chunk') chunks.push(m.content.value)
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(data))

    const submitted = await processing.submitTask({
      input: { kind: { case: 'digestObject', value: { bucket: `b-${tag}`, key: 'o.bin', algorithm: DigestAlgorithm.SHA256 } } },
    })
    const states: TaskState[] = []
    for await (const event of processing.watchTask({ taskId: submitted.task?.taskId ?? '' })) states.push(event.task?.state ?? TaskState.UNSPECIFIED)
    expect(states.at(-1)).toBe(TaskState.SUCCEEDED)

    const put = await metadata.putRecord({ key: `${tag}/a`, value: encoder.encode('one') })
    expect((await metadata.getRecord({ key: `${tag}/a` })).record?.value).toEqual(encoder.encode('one'))
    for await (const event of metadata.watchRecords({ prefix: `${tag}/`, startRevision: put.record?.modRevision ?? 1n }, { timeoutMs: 5000 })) {
      const change = event.events.find((e) => e.record?.key === `${tag}/a`)
      if (!change) continue
      expect(change.record?.value).toEqual(encoder.encode('one'))
      break
    }
  })

  it('serves Connect GET (side-effect-free methods), and renders the gateway\'s errors for it in Connect', async () => {
    const viaGet = createClient(MetadataService, createConnectTransport({ baseUrl: gw.url, httpVersion: '1.1', useBinaryFormat, useHttpGet: true }))
    await createClient(MetadataService, transport()).putRecord({ key: `${tag}/get`, value: encoder.encode('got') })
    expect((await viaGet.getRecord({ key: `${tag}/get` })).record?.value).toEqual(encoder.encode('got'))
    const bad = await failure(viaGet.getRecord({ key: `${tag}/get` }, { headers: { 'connect-timeout-ms': 'soon' } }))
    expect(bad.code).toBe(Code.InvalidArgument)
  })

  it('passes the service\'s own errors through with their codes', async () => {
    const metadata = createClient(MetadataService, transport())
    expect(await failure(metadata.getRecord({ key: `${tag}/missing` }))).toMatchObject({ code: Code.NotFound })
  })

  it('turns a policy\'s refusal into the Connect code, unary and streaming', async () => {
    const metadata = createClient(MetadataService, transport())
    const registry = createClient(RegistryService, transport())
    const denied = await failure(metadata.deleteRecord({ key: `${tag}/a` }))
    expect(denied.code).toBe(Code.Unauthenticated)
    expect(denied.metadata.get('www-authenticate')).toMatch(/^Bearer/)
    const stream = async () => {
      for await (const _ of registry.watchNodes({})) void _
    }
    expect(await failure(stream())).toMatchObject({ code: Code.Unauthenticated })
    const token = await issuer.token()
    await metadata.putRecord({ key: `${tag}/gone`, value: encoder.encode('x') })
    await metadata.deleteRecord({ key: `${tag}/gone` }, { headers: { authorization: `Bearer ${token}` } })
  })

  it('ends a call the upstream does not answer at the caller\'s deadline', async () => {
    const metadata = createClient(MetadataService, transport())
    expect(await failure(metadata.listRecords({}, { timeoutMs: 300 }))).toMatchObject({ code: Code.DeadlineExceeded })
  })
})

/** A raw Connect streaming call: the frames of the answer. */
async function connectStream(path: string, message: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/connect+json', 'connect-protocol-version': '1', ...headers },
    body: envelope(encoder.encode(JSON.stringify(message))),
    signal: AbortSignal.timeout(10_000),
  })
  return { res, frames: frames(new Uint8Array(await res.arrayBuffer())) }
}

const endStreamError = (f: { flags: number; payload: Uint8Array }[]) => {
  const last = f.at(-1)
  expect(last?.flags).toBe(2)
  return (JSON.parse(new TextDecoder().decode(last?.payload)) as { error?: { code: string; message: string } }).error
}

describe('deadlines through passthrough', () => {
  it('sends the route timeout upstream when it is the smallest: the service ends its endless stream then', async () => {
    // Without a deadline a watch runs until the client leaves (connectStream gives up after 10 s);
    // the metadata node ends a watch at its deadline with a clean end-stream frame.
    const started = Date.now()
    const { res, frames: f } = await connectStream(`${METADATA}/WatchRecords`, { prefix: 'never/' }, { 'connect-timeout-ms': '60000' })
    expect(res.status).toBe(200)
    expect(f.at(-1)?.flags).toBe(2)
    expect(Date.now() - started).toBeGreaterThanOrEqual(ROUTE_TIMEOUT_MS - 100)
  })

  it('answers deadline_exceeded itself when the upstream is silent past the caller\'s deadline', async () => {
    const listRecords = (headers: Record<string, string>) =>
      fetch(`${gw.url}${METADATA}/ListRecords`, { method: 'POST', headers: { 'content-type': 'application/json', 'connect-protocol-version': '1', ...headers }, body: '{}' })
    const connect = await listRecords({ 'connect-timeout-ms': '300' })
    expect(connect.status).toBe(504)
    expect(await connect.json()).toMatchObject({ code: 'deadline_exceeded' })
    const grpcWeb = await grpcWebCall(`${METADATA}/ListRecords`, envelope(new Uint8Array()), { 'grpc-timeout': '300m' })
    expect(grpcWeb.status).toBe(200)
    expect(grpcWeb.headers.get('grpc-status')).toBe('4')
  })

  it('refuses a malformed timeout header in the caller\'s protocol', async () => {
    const connect = await fetch(`${gw.url}${METADATA}/GetRecord`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'connect-protocol-version': '1', 'connect-timeout-ms': 'soon' },
      body: '{"key":"a"}',
    })
    expect(connect.status).toBe(400)
    expect(await connect.json()).toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('connect-timeout-ms') })
    const grpcWeb = await grpcWebCall(`${METADATA}/GetRecord`, envelope(toBinary(GetRecordRequestSchema, create(GetRecordRequestSchema, { key: 'a' }))), { 'grpc-timeout': '5x' })
    expect(grpcWeb.status).toBe(200)
    expect(grpcWeb.headers.get('grpc-status')).toBe('3')
  })
})

function grpcWebCall(path: string, body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string> = {}, text = false) {
  return fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': text ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto', 'x-grpc-web': '1', ...headers },
    body,
    signal: AbortSignal.timeout(10_000),
  })
}

/** The status of a gRPC-web answer: from a trailer frame, or from the headers of a trailers-only answer. */
function grpcStatus(res: Response, body: Uint8Array): { status: string | undefined; messages: Uint8Array[] } {
  const f = frames(body)
  const trailer = f.find((x) => x.flags & 0x80)
  const status = trailer ? parseTrailer(trailer.payload)['grpc-status'] : (res.headers.get('grpc-status') ?? undefined)
  return { status, messages: f.filter((x) => !(x.flags & 0x80)).map((x) => x.payload) }
}

/** A gRPC-web-text body: padded base64 chunks one after another. */
const decodeText = (text: string) => new Uint8Array(Buffer.concat(text.split(/(?<==)(?=[^=])/).map((part) => Buffer.from(part, 'base64'))))

describe('raw gRPC-web through passthrough (fetch)', () => {
  const request = () => envelope(toBinary(GetRecordRequestSchema, create(GetRecordRequestSchema, { key: 'raw/a' })))

  beforeAll(async () => {
    await createClient(MetadataService, createConnectTransport({ baseUrl: gw.url, httpVersion: '1.1' })).putRecord({ key: 'raw/a', value: encoder.encode('raw') })
  })

  it('answers binary gRPC-web', async () => {
    const res = await grpcWebCall(`${METADATA}/GetRecord`, request())
    expect(res.headers.get('content-type')).toBe('application/grpc-web+proto')
    const { status, messages } = grpcStatus(res, new Uint8Array(await res.arrayBuffer()))
    expect(status).toBe('0')
    expect(fromBinary(GetRecordResponseSchema, messages[0] as Uint8Array).record?.value).toEqual(encoder.encode('raw'))
  })

  it('answers gRPC-web-text, in padded chunks or one string', async () => {
    const bytes = request()
    const chunked = Buffer.from(bytes.subarray(0, 4)).toString('base64') + Buffer.from(bytes.subarray(4)).toString('base64')
    for (const body of [Buffer.from(bytes).toString('base64'), chunked]) {
      const res = await grpcWebCall(`${METADATA}/GetRecord`, body, {}, true)
      expect(res.headers.get('content-type')).toBe('application/grpc-web-text+proto')
      const { status, messages } = grpcStatus(res, decodeText(await res.text()))
      expect(status).toBe('0')
      expect(fromBinary(GetRecordResponseSchema, messages[0] as Uint8Array).record?.value).toEqual(encoder.encode('raw'))
    }
  })
})

describe('malformed input through passthrough: a precise 4xx or RPC error, and the gateway keeps serving', () => {
  const connectUnary = (body: string | Uint8Array<ArrayBuffer>, type = 'application/json') =>
    fetch(`${gw.url}${METADATA}/GetRecord`, { method: 'POST', headers: { 'content-type': type, 'connect-protocol-version': '1' }, body })

  it('broken JSON and wrong types: 400 invalid_argument', async () => {
    for (const body of ['{"key":', '{"key": 42}', '[]', '{"nope": 1}']) {
      const res = await connectUnary(body)
      expect(res.status, body).toBe(400)
      expect(await res.json(), body).toMatchObject({ code: 'invalid_argument' })
    }
  })

  it('an oversized message: resource_exhausted before the service sees it', async () => {
    const res = await connectUnary(JSON.stringify({ key: 'x'.repeat(5 * 1024 * 1024) }))
    expect(res.status).toBe(429)
    expect(await res.json()).toMatchObject({ code: 'resource_exhausted' })
  })

  it('bad base64 in gRPC-web-text: INVALID_ARGUMENT', async () => {
    for (const body of ['AAAA*AAA', 'AAAAA', 'AA=A']) {
      const res = await grpcWebCall(`${METADATA}/GetRecord`, body, {}, true)
      expect(res.status, body).toBe(200)
      expect(res.headers.get('grpc-status'), body).toBe('3')
    }
  })

  it('truncated frames, gRPC-web and Connect streaming: invalid_argument', async () => {
    const whole = envelope(toBinary(GetRecordRequestSchema, create(GetRecordRequestSchema, { key: 'raw/a' })))
    const res = await grpcWebCall(`${METADATA}/GetRecord`, whole.subarray(0, whole.length - 2).slice())
    expect(grpcStatus(res, new Uint8Array(await res.arrayBuffer())).status).toBe('3')
    const text = await grpcWebCall(`${METADATA}/GetRecord`, Buffer.from(whole.subarray(0, 3)).toString('base64'), {}, true)
    expect(grpcStatus(text, decodeText(await text.text())).status).toBe('3')
    const stream = await fetch(`${gw.url}${METADATA}/WatchRecords`, {
      method: 'POST',
      headers: { 'content-type': 'application/connect+json', 'connect-protocol-version': '1' },
      body: envelope(encoder.encode('{"prefix":"a"}')).subarray(0, 8).slice(),
    })
    expect(endStreamError(frames(new Uint8Array(await stream.arrayBuffer())))?.code).toBe('invalid_argument')
  })

  it('still serves afterwards', async () => {
    const metadata = createClient(MetadataService, createConnectTransport({ baseUrl: gw.url, httpVersion: '1.1' }))
    expect((await metadata.getRecord({ key: 'raw/a' })).record?.value).toEqual(encoder.encode('raw'))
    expect(gw.child.exitCode).toBeNull()
  })
})

describe('CORS on passthrough routes', () => {
  it('answers a preflight and exposes the status headers', async () => {
    const preflight = await fetch(`${gw.url}${METADATA}/GetRecord`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-grpc-web, x-user-agent' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://app.test')
    const res = await grpcWebCall(`${METADATA}/DeleteRecord`, envelope(new Uint8Array()), { origin: 'http://app.test' })
    expect(res.headers.get('grpc-status')).toBe('16')
    expect(res.headers.get('access-control-expose-headers')).toContain('grpc-status')
  })
})

/** The passthrough core is Web-platform code: the same calls through a gateway on Bun and on Deno. */
describe.each(['bun', 'deno'] as const)('passthrough on %s', (runtime) => {
  it('serves Connect and gRPC-web-text, renders a policy error in the caller\'s protocol, answers preflights', async () => {
    const other = others[runtime] as GatewayProcess
    const metadata = createClient(MetadataService, createConnectTransport({ baseUrl: other.url, httpVersion: '1.1', useBinaryFormat: true }))
    await metadata.putRecord({ key: `${runtime}/a`, value: encoder.encode(runtime) })
    expect(await failure(metadata.deleteRecord({ key: `${runtime}/a` }))).toMatchObject({ code: Code.Unauthenticated })
    const text = await fetch(`${other.url}${METADATA}/GetRecord`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web-text+proto', origin: 'http://app.test' },
      body: Buffer.from(envelope(toBinary(GetRecordRequestSchema, create(GetRecordRequestSchema, { key: `${runtime}/a` })))).toString('base64'),
    })
    expect(text.headers.get('access-control-allow-origin')).toBe('http://app.test')
    const { status, messages } = grpcStatus(text, decodeText(await text.text()))
    expect(status).toBe('0')
    expect(fromBinary(GetRecordResponseSchema, messages[0] as Uint8Array).record?.value).toEqual(encoder.encode(runtime))
    const preflight = await fetch(`${other.url}${METADATA}/GetRecord`, { method: 'OPTIONS', headers: { origin: 'http://app.test', 'access-control-request-method': 'POST' } })
    expect(preflight.status).toBe(204)
  })
})
