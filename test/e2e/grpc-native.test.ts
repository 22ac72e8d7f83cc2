import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { connect as connectHttp2, constants } from 'node:http2'
import type { ClientHttp2Session, IncomingHttpHeaders } from 'node:http2'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { create, toBinary } from '@bufbuild/protobuf'
import { connectNodeAdapter } from '@connectrpc/connect-node'
import * as grpc from '@grpc/grpc-js'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GetRecordRequestSchema, MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import type { GetRecordResponse, WatchRecordsResponse } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { RegistryService } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { DigestAlgorithm, ProcessingService, TaskState } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { WatchTaskResponse } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { ServerReflectionResponse } from '../../proto/gen/grpc/reflection/v1/reflection_pb.ts'
import { ServerReflection } from '../../proto/gen/grpc/reflection/v1/reflection_pb.ts'
import { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import type { GetObjectResponse, PutObjectResponse } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { makeTestPki } from '../support/certs.ts'
import type { TestPki } from '../support/certs.ts'
import { collect, grpcJsClient, unary } from '../support/grpc-js-client.ts'
import { removeDir, ROOT, spawnNode, startGateway, waitFor, writeBundle } from './harness.ts'
import type { GatewayProcess, NodeProcess } from './harness.ts'

const CLI = join(ROOT, 'gateway', 'cli', 'gatehouse.js')
const SECRET = 'a-test-secret-of-at-least-32-characters!'
const text = (s: string) => new TextEncoder().encode(s)

function startRole(role: string, dataDir: string, env: string[] = []): Promise<NodeProcess> {
  return spawnNode(`${role} node`, ['env', ...env, process.execPath, CLI, 'node', '--role', role, '--port', '0', '--data', dataDir])
}

/** An upstream whose one server stream never ends and records when its call is aborted. */
async function startProbe(): Promise<{ server: Server; url: string; started: number; aborted: number }> {
  const probe = { started: 0, aborted: 0 } as { server: Server; url: string; started: number; aborted: number }
  const server = createServer(
    connectNodeAdapter({
      routes: (router) =>
        router.service(ProcessingService, {
          async *watchTask(_req, context) {
            probe.started++
            context.signal.addEventListener('abort', () => probe.aborted++, { once: true })
            while (!context.signal.aborted) {
              yield { task: { taskId: 'probe' } }
              await new Promise((r) => setTimeout(r, 50))
            }
            context.signal.throwIfAborted() // never end a cut-off stream with OK
          },
        }),
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  return Object.assign(probe, { server, url: `http://127.0.0.1:${address.port}` })
}

function bundle(urls: { metadata: string; storage: string; processing: string; probe: string }) {
  return {
    'bundle.yaml': `services:
  metadata: { endpoints: [{ url: ${urls.metadata} }] }
  storage: { endpoints: [{ url: ${urls.storage} }] }
  processing: { endpoints: [{ url: ${urls.processing} }] }
  probe: { endpoints: [{ url: ${urls.probe} }] }
policies:
  callers:
    type: jwt
    issuer: https://id.test/
    audience: gatehouse
    secret: ${SECRET}
routes:
  - id: metadata-rpc
    match: { method: POST, path: "/gatehouse.metadata.v1.MetadataService/{method}" }
    http: metadata
  - id: registry-rpc
    match: { method: POST, path: "/gatehouse.metadata.v1.RegistryService/{method}" }
    policies: [callers]
    http: metadata
  - id: reflection
    match: { method: POST, path: "/grpc.reflection.v1.ServerReflection/{method}" }
    http: metadata
  - id: storage-rpc
    match: { method: POST, path: "/gatehouse.storage.v1.StorageService/{method}" }
    http: storage
  - id: probe-rpc
    match: { method: POST, path: "/gatehouse.processing.v1.ProcessingService/{method}", headers: { x-probe: "*" } }
    http: probe
  - id: processing-rpc
    match: { method: POST, path: "/gatehouse.processing.v1.ProcessingService/{method}" }
    http: processing
`,
  }
}

/** The gRPC port's address (`host:port`) from a gateway's `grpc listening` line. */
async function grpcAddress(gw: GatewayProcess): Promise<string> {
  const line = await waitFor('the gRPC listener', () => gw.lines.find((l) => l.msg === 'grpc listening'))
  return new URL(String(line.url)).host
}

describe('native gRPC ingress (gatehouse gateway --grpc-port) to real internal nodes, on Node, Bun and Deno', () => {
  let pki: TestPki
  let dirs: string[] = []
  let metadata: NodeProcess
  let storage: NodeProcess
  let processingNode: NodeProcess
  let probe: Awaited<ReturnType<typeof startProbe>>
  let h2c: GatewayProcess
  let tls: GatewayProcess
  let bun: GatewayProcess
  let deno: GatewayProcess
  const clients: grpc.Client[] = []

  beforeAll(async () => {
    ;[pki, ...dirs] = await Promise.all([makeTestPki(), mkdtemp(join(tmpdir(), 'gh-md-')), mkdtemp(join(tmpdir(), 'gh-st-')), mkdtemp(join(tmpdir(), 'gh-pr-'))])
    ;[metadata, storage, probe] = await Promise.all([startRole('metadata', dirs[0] as string), startRole('storage', dirs[1] as string), startProbe()])
    processingNode = await startRole('processing', dirs[2] as string, [`GATEHOUSE_STORAGE_URL=${storage.url}`])
    const dir = await writeBundle(bundle({ metadata: metadata.url, storage: storage.url, processing: processingNode.url, probe: probe.url }))
    dirs.push(dir)
    ;[h2c, tls, bun, deno] = await Promise.all([
      startGateway('node', dir, ['--grpc-port', '0']),
      startGateway('node', dir, ['--grpc-port', '0', '--tls-cert', pki.server.certPath, '--tls-key', pki.server.keyPath]),
      startGateway('bun', dir, ['--grpc-port', '0']),
      startGateway('deno', dir, ['--grpc-port', '0', '--tls-cert', pki.server.certPath, '--tls-key', pki.server.keyPath]),
    ])
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await Promise.all([h2c?.stop(), tls?.stop(), bun?.stop(), deno?.stop(), metadata?.stop(), storage?.stop(), processingNode?.stop()])
    probe?.server.close()
    await Promise.all([...dirs.map(removeDir), pki?.remove()])
  })

  const transports = [
    ['h2c', () => grpcAddress(h2c), () => grpc.credentials.createInsecure()],
    ['TLS (ALPN h2)', () => grpcAddress(tls), () => grpc.credentials.createSsl(Buffer.from(pki.ca.cert))],
    ['h2c to a gateway on Bun', () => grpcAddress(bun), () => grpc.credentials.createInsecure()],
    ['TLS to a gateway on Deno', () => grpcAddress(deno), () => grpc.credentials.createSsl(Buffer.from(pki.ca.cert))],
  ] as const

  describe.each(transports)('over %s', (name, address, credentials) => {
    const client = async (service: Parameters<typeof grpcJsClient>[0]) => {
      const c = grpcJsClient(service, await address(), credentials())
      clients.push(c)
      return c
    }

    it('unary calls keep their messages and error statuses (NOT_FOUND)', async () => {
      const md = await client(MetadataService)
      await unary(md, 'PutRecord', { key: `native/${name}`, value: text('one') })
      const got = await unary<GetRecordResponse>(md, 'GetRecord', { key: `native/${name}` })
      expect(Buffer.from(got.record?.value ?? []).toString()).toBe('one')
      await expect(unary(md, 'GetRecord', { key: 'native/missing' })).rejects.toMatchObject({
        code: grpc.status.NOT_FOUND,
        details: 'record "native/missing" not found',
      })
    })

    it('client streaming (PutObject) and server streaming (GetObject) carry 2 MiB both ways, and the processing role digests it', async () => {
      const st = await client(StorageService)
      const bucket = `native-${transports.findIndex(([n]) => n === name)}`
      await unary(st, 'CreateBucket', { bucket })
      const data = new Uint8Array(2 * 1024 * 1024).map((_, i) => (i * 31) % 251)
      const put = await new Promise<PutObjectResponse>((resolve, reject) => {
        const call = (st.PutObject as (o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: PutObjectResponse) => void) => grpc.ClientWritableStream<unknown>).call(
          st,
          { deadline: Date.now() + 15_000 },
          (err, res) => (err ? reject(err) : resolve(res)),
        )
        call.write({ content: { case: 'header', value: { bucket, key: 'blob.bin' } } })
        for (let at = 0; at < data.length; at += 256 * 1024) call.write({ content: { case: 'chunk', value: data.subarray(at, at + 256 * 1024) } })
        call.end()
      })
      expect(put.object?.size).toBe(BigInt(data.length))
      // The processing role: a digest of the object, submitted (unary) and watched (server stream) to its end.
      const pr = await client(ProcessingService)
      const submitted = await unary<{ task?: { taskId: string } }>(pr, 'SubmitTask', {
        input: { kind: { case: 'digestObject', value: { bucket, key: 'blob.bin', algorithm: DigestAlgorithm.SHA256 } } },
      })
      const watch = (pr.WatchTask as (r: unknown, o: grpc.CallOptions) => grpc.ClientReadableStream<WatchTaskResponse>).call(
        pr,
        { taskId: submitted.task?.taskId },
        { deadline: Date.now() + 15_000 },
      )
      const watched = await collect(watch)
      expect(watched.error).toBeUndefined()
      const done = watched.messages.at(-1)?.task
      expect(done?.state).toBe(TaskState.SUCCEEDED)
      const result = done?.result?.kind
      expect(result?.case === 'digestObject' && Buffer.from(result.value.digest).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'))
      const call = (st.GetObject as (r: unknown, o: grpc.CallOptions) => grpc.ClientReadableStream<GetObjectResponse>).call(
        st,
        { bucket, key: 'blob.bin' },
        { deadline: Date.now() + 15_000 },
      )
      const { messages, error } = await collect(call)
      expect(error).toBeUndefined()
      const chunks = messages.flatMap((m) => (m.content.case === 'chunk' ? [m.content.value] : []))
      expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true)
    })

    it('bidi streaming (gRPC reflection) answers each request as it comes', async () => {
      const reflection = await client(ServerReflection)
      const call = (reflection.ServerReflectionInfo as (o: grpc.CallOptions) => grpc.ClientDuplexStream<unknown, ServerReflectionResponse>).call(reflection, {
        deadline: Date.now() + 10_000,
      })
      const done = collect(call)
      // Full duplex: the first answer arrives while the request stream is still open.
      const first = new Promise((resolve) => call.once('data', resolve))
      call.write({ messageRequest: { case: 'listServices', value: '' } })
      await first
      call.write({ messageRequest: { case: 'fileContainingSymbol', value: 'gatehouse.metadata.v1.MetadataService' } })
      call.end()
      const { messages, error } = await done
      expect(error).toBeUndefined()
      expect(messages.map((m) => m.messageResponse.case)).toEqual(['listServicesResponse', 'fileDescriptorResponse'])
      const listed = messages[0]?.messageResponse
      if (listed?.case === 'listServicesResponse') expect(listed.value.service.map((s) => s.name)).toContain('gatehouse.metadata.v1.MetadataService')
    })

    it('a short deadline ends a stream with DEADLINE_EXCEEDED', async () => {
      const md = await client(MetadataService)
      const started = Date.now()
      const call = (md.WatchRecords as (r: unknown, o: grpc.CallOptions) => grpc.ClientReadableStream<WatchRecordsResponse>).call(
        md,
        { prefix: 'native/' },
        { deadline: Date.now() + 300 },
      )
      const { error } = await collect(call)
      expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED)
      expect(Date.now() - started).toBeLessThan(5_000)
    })

    it('a policy refusal of the gateway arrives as a gRPC status (UNAUTHENTICATED), a valid token passes', async () => {
      const registry = await client(RegistryService)
      const refused = unary(registry, 'ListNodes', {})
      await expect(refused).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'a bearer token is required' })
      const token = await new SignJWT({ sub: 'ops' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('https://id.test/')
        .setAudience('gatehouse')
        .setExpirationTime('5m')
        .sign(text(SECRET))
      const md = new grpc.Metadata()
      md.set('authorization', `Bearer ${token}`)
      await expect(unary(registry, 'ListNodes', {}, {}, md)).resolves.toMatchObject({ nodes: [] })
    })

    it('a client that cancels a stream aborts the upstream call', async () => {
      const processing = await client(ProcessingService)
      const before = { started: probe.started, aborted: probe.aborted }
      const toProbe = new grpc.Metadata()
      toProbe.set('x-probe', '1')
      const call = (processing.WatchTask as (r: unknown, md: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<unknown>).call(processing, { taskId: 'probe' }, toProbe, {})
      call.on('error', () => {})
      await new Promise<void>((resolve) => call.once('data', () => resolve()))
      expect(probe.started).toBe(before.started + 1)
      call.cancel()
      await waitFor('the upstream call to be aborted', () => probe.aborted === before.aborted + 1, 5_000)
    })
  })

  describe('the wire, seen by a raw HTTP/2 client (h2c)', () => {
    let session: ClientHttp2Session
    beforeAll(async () => {
      session = connectHttp2(`http://${await grpcAddress(h2c)}`)
      session.on('error', () => {})
    })
    afterAll(() => session?.close())

    /** One gRPC call; resolves with the response headers, body bytes and trailers. */
    function call(path: string, body: Uint8Array, extra: Record<string, string> = {}) {
      return new Promise<{ headers: IncomingHttpHeaders; body: Buffer; trailers: IncomingHttpHeaders | undefined }>((resolve, reject) => {
        const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra })
        let headers: IncomingHttpHeaders = {}
        let trailers: IncomingHttpHeaders | undefined
        const chunks: Buffer[] = []
        stream.on('response', (h) => (headers = h))
        stream.on('trailers', (t) => (trailers = t))
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => resolve({ headers, body: Buffer.concat(chunks), trailers }))
        stream.on('error', reject)
        stream.end(body)
      })
    }
    const frame = (message: Uint8Array) => {
      const out = new Uint8Array(5 + message.length)
      new DataView(out.buffer).setUint32(1, message.length)
      out.set(message, 5)
      return out
    }

    it('answers with a data frame and the status in HTTP/2 trailers', async () => {
      const request = frame(toBinary(GetRecordRequestSchema, create(GetRecordRequestSchema, { key: 'native/h2c' })))
      const res = await call(`/${MetadataService.typeName}/GetRecord`, request)
      expect(res.headers[':status']).toBe(200)
      expect(res.headers['content-type']).toBe('application/grpc+proto')
      expect(res.headers['grpc-status']).toBeUndefined()
      expect(res.body.length).toBeGreaterThan(5)
      expect(res.trailers?.['grpc-status']).toBe('0')
    })

    it('enforces grpc-timeout itself: DEADLINE_EXCEEDED in trailers, the upstream call aborted', async () => {
      const before = probe.aborted
      const res = await call(`/${ProcessingService.typeName}/WatchTask`, frame(new Uint8Array()), { 'grpc-timeout': '200m', 'x-probe': '1' })
      expect(res.trailers?.['grpc-status'] ?? res.headers['grpc-status']).toBe(String(grpc.status.DEADLINE_EXCEEDED))
      await waitFor('the upstream call to be aborted', () => probe.aborted > before, 5_000)
    })

    it('answers a gateway refusal trailers-only, with the request id', async () => {
      const res = await call(`/${RegistryService.typeName}/ListNodes`, frame(new Uint8Array()))
      expect(res.headers['grpc-status']).toBe(String(grpc.status.UNAUTHENTICATED))
      expect(res.headers['grpc-message']).toBe('a bearer token is required')
      expect(res.headers['x-request-id']).toBeTruthy()
      expect(res.body.length).toBe(0)
      expect(res.trailers).toBeUndefined()
    })

    it('a path without a route gets a gRPC status from the gateway, trailers-only', async () => {
      const res = await call('/nope.v1.Nope/Nothing', frame(new Uint8Array()))
      // UNIMPLEMENTED when the gateway answers gRPC-web callers in their protocol, else NOT_FOUND from the problem document
      expect([String(grpc.status.UNIMPLEMENTED), String(grpc.status.NOT_FOUND)]).toContain(res.headers['grpc-status'])
      expect(res.headers['grpc-message']).toBe('no route for POST /nope.v1.Nope/Nothing')
    })

    it('passes plain HTTP/2 requests through (health)', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':method': 'GET', ':path': '/health/ready' })
        stream.on('response', (h) => resolve(Number(h[':status'])))
        stream.on('error', reject)
        stream.resume()
      })
      expect(status).toBe(200)
    })

    it('survives a client that resets streams mid-request', async () => {
      for (let i = 0; i < 5; i++) {
        const stream = session.request({ ':method': 'POST', ':path': `/${MetadataService.typeName}/GetRecord`, 'content-type': 'application/grpc' })
        stream.on('error', () => {})
        stream.write(Buffer.from([0, 0, 0, 0, 9, 1]))
        stream.close(constants.NGHTTP2_CANCEL)
      }
      const res = await call(`/${MetadataService.typeName}/GetRecord`, frame(toBinary(GetRecordRequestSchema, create(GetRecordRequestSchema, { key: 'native/h2c' }))))
      expect(res.trailers?.['grpc-status']).toBe('0')
    })
  })
})
