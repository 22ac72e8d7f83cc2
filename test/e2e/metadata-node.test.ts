import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { create, fromBinary, toBinary } from '@bufbuild/protobuf'
import { Code, createClient } from '@connectrpc/connect'
import type { Client } from '@connectrpc/connect'
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node'
import * as grpc from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  GetRecordRequestSchema,
  GetRecordResponseSchema,
  MetadataService,
} from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import type { GetRecordResponse } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { Health, HealthCheckResponse_ServingStatus } from '../../proto/gen/grpc/health/v1/health_pb.ts'
import { ServerReflection } from '../../proto/gen/grpc/reflection/v1/reflection_pb.ts'
import { removeDir, ROOT, spawnNode, startGateway, waitFor, writeBundle } from './harness.ts'
import type { NodeProcess } from './harness.ts'

const CLI = join(ROOT, 'gateway', 'cli', 'gatehouse.js')
const text = (s: string) => new TextEncoder().encode(s)

function startMetadataNode(dataDir: string): Promise<NodeProcess> {
  return spawnNode('metadata node', [process.execPath, CLI, 'node', '--role', 'metadata', '--port', '0', '--grpc-port', '0', '--data', dataDir])
}

/** GetRecord with @grpc/grpc-js: an independent gRPC implementation, fed our generated codecs. */
function grpcJsGetRecord(address: string, key: string): Promise<GetRecordResponse> {
  const path = `/${MetadataService.typeName}/GetRecord`
  const Ctor = grpc.makeGenericClientConstructor(
    {
      GetRecord: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: (m: Parameters<typeof toBinary<typeof GetRecordRequestSchema>>[1]) => Buffer.from(toBinary(GetRecordRequestSchema, m)),
        requestDeserialize: (b: Buffer) => fromBinary(GetRecordRequestSchema, b),
        responseSerialize: (m: GetRecordResponse) => Buffer.from(toBinary(GetRecordResponseSchema, m)),
        responseDeserialize: (b: Buffer) => fromBinary(GetRecordResponseSchema, b),
      },
    },
    'MetadataService',
  )
  const client = new Ctor(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    GetRecord(req: unknown, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: GetRecordResponse) => void): void
  }
  return new Promise((resolve, reject) =>
    client.GetRecord(create(GetRecordRequestSchema, { key }), { deadline: Date.now() + 5000 }, (err, res) => {
      client.close()
      if (err) reject(err)
      else resolve(res)
    }),
  )
}

describe('a metadata node (gatehouse node --role metadata)', () => {
  let dataDir: string
  let node: NodeProcess
  let grpcUrl: string
  let connect: Client<typeof MetadataService>

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-md-'))
    node = await startMetadataNode(dataDir)
    grpcUrl = String((await waitFor('the gRPC listener', () => node.lines.find((l) => l.msg === 'grpc listening'))).url)
    connect = createClient(MetadataService, createConnectTransport({ baseUrl: node.url, httpVersion: '1.1' }))
  })
  afterAll(async () => {
    await node?.stop()
    await removeDir(dataDir)
  })

  it('serves Connect, gRPC-web and gRPC (connect-node) and gRPC (grpc-js)', async () => {
    const put = await connect.putRecord({ key: 'cfg/a', value: text('one') })
    expect(put.record?.version).toBe(1n)
    const grpcWeb = createClient(MetadataService, createGrpcWebTransport({ baseUrl: node.url, httpVersion: '1.1' }))
    expect((await grpcWeb.getRecord({ key: 'cfg/a' })).record?.value).toEqual(text('one'))
    const grpcNative = createClient(MetadataService, createGrpcTransport({ baseUrl: grpcUrl }))
    expect((await grpcNative.getRecord({ key: 'cfg/a' })).record?.version).toBe(1n)
    const viaGrpcJs = await grpcJsGetRecord(new URL(grpcUrl).host, 'cfg/a')
    expect(new TextDecoder().decode(viaGrpcJs.record?.value)).toBe('one')
  })

  it('answers grpc.health.v1 and server reflection on the gRPC port, like any gRPC server', async () => {
    const grpcTransport = createGrpcTransport({ baseUrl: grpcUrl })
    const health = createClient(Health, grpcTransport)
    expect((await health.check({ service: '' })).status).toBe(HealthCheckResponse_ServingStatus.SERVING)
    expect((await health.check({ service: MetadataService.typeName })).status).toBe(HealthCheckResponse_ServingStatus.SERVING)
    const reflection = createClient(ServerReflection, grpcTransport)
    async function* ask() {
      yield { messageRequest: { case: 'listServices' as const, value: '' } }
    }
    const services: string[] = []
    for await (const answer of reflection.serverReflectionInfo(ask())) {
      if (answer.messageResponse.case === 'listServicesResponse') services.push(...answer.messageResponse.value.service.map((s) => s.name))
    }
    expect(services).toEqual(expect.arrayContaining(['gatehouse.metadata.v1.MetadataService', 'gatehouse.metadata.v1.RegistryService', 'grpc.health.v1.Health']))
  })

  it('refuses a stale compare-and-set with a precise code, and bad input with invalid_argument', async () => {
    await connect.putRecord({ key: 'cfg/cas', value: text('v1') })
    await expect(connect.putRecord({ key: 'cfg/cas', value: text('v2'), expectedVersion: 7n })).rejects.toMatchObject({
      code: Code.Aborted,
    })
    await expect(connect.getRecord({ key: '' })).rejects.toMatchObject({ code: Code.InvalidArgument })
    expect((await connect.getRecord({ key: 'cfg/cas' })).record?.value).toEqual(text('v1'))
  })

  it('is reachable through the gateway (Connect over an http route) with the shell planes on both', async () => {
    const dir = await writeBundle({
      'bundle.yaml': `services:\n  metadata:\n    endpoints:\n      - url: ${node.url}\nroutes:\n  - id: metadata-rpc\n    match: { method: POST, path: "/gatehouse.metadata.v1.MetadataService/{method}" }\n    http: metadata\n`,
    })
    const gw = await startGateway('node', dir)
    try {
      const viaGateway = createClient(MetadataService, createConnectTransport({ baseUrl: gw.url, httpVersion: '1.1' }))
      expect((await viaGateway.getRecord({ key: 'cfg/a' })).record?.value).toEqual(text('one'))
      await expect(viaGateway.getRecord({ key: 'cfg/none' })).rejects.toMatchObject({ code: Code.NotFound })
      const metrics = await (await fetch(`${node.url}/metrics`)).text()
      expect(metrics).toMatch(/^gatehouse_http_requests_total\{route="gatehouse\.metadata\.v1\.MetadataService\/GetRecord",class="2xx"\} [1-9]/m)
      expect((await fetch(`${node.url}/health/ready`)).status).toBe(200)
    } finally {
      await gw.stop()
      await removeDir(dir)
    }
  })

  it('keeps every acknowledged write across kill -9', async () => {
    for (let i = 0; i < 20; i++) await connect.putRecord({ key: `durable/${i}`, value: text(`v${i}`) })
    node.child.kill('SIGKILL')
    await node.exited
    node = await startMetadataNode(dataDir)
    connect = createClient(MetadataService, createConnectTransport({ baseUrl: node.url, httpVersion: '1.1' }))
    const listed = await connect.listRecords({ prefix: 'durable/' })
    expect(listed.records.map((r) => new TextDecoder().decode(r.value)).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `v${i}`).sort(),
    )
  })

  it('drains and exits 0 on SIGTERM', async () => {
    expect(await node.stop()).toBe(0)
  })
})
