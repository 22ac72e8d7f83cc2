// Over a real socket with an independent client: connect-node on node:http2 (h2c), as the node's
// gRPC listener serves it, called by @grpc/grpc-js with a generic client and our generated codecs.
import { createServer } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf'
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf'
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt'
import { connectNodeAdapter } from '@connectrpc/connect-node'
import { Client, credentials, status } from '@grpc/grpc-js'
import type { ServiceError } from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { StorageService } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { HealthCheckResponse_ServingStatus as Status, HealthCheckRequestSchema, HealthCheckResponseSchema } from '../../../proto/gen/grpc/health/v1/health_pb.ts'
import * as v1 from '../../../proto/gen/grpc/reflection/v1/reflection_pb.ts'
import * as v1alpha from '../../../proto/gen/grpc/reflection/v1alpha/reflection_pb.ts'
import { withStandardGrpc } from './routes.ts'

const serialize = <D extends DescMessage>(schema: D) => (message: MessageShape<D>) => Buffer.from(toBinary(schema, message))
const deserialize = <D extends DescMessage>(schema: D) => (bytes: Buffer) => fromBinary(schema, bytes)

let ready = true
const changes = new Set<() => void>()
const server = createServer(
  connectNodeAdapter({
    routes: withStandardGrpc((router) => router.service(StorageService, {}), () => ready, {
      subscribe: (onChange) => (changes.add(onChange), () => changes.delete(onChange)),
    }),
  }),
)
let client: Client

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  client = new Client(`127.0.0.1:${(server.address() as AddressInfo).port}`, credentials.createInsecure())
})
afterAll(async () => {
  client.close()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

function check(service: string): Promise<Status> {
  return new Promise((resolve, reject) => {
    const request = create(HealthCheckRequestSchema, { service })
    client.makeUnaryRequest('/grpc.health.v1.Health/Check', serialize(HealthCheckRequestSchema), deserialize(HealthCheckResponseSchema), request, (err, res) =>
      err || !res ? reject(err ?? new Error('no response')) : resolve(res.status),
    )
  })
}

/** One ServerReflectionInfo call over grpc-js: sends each request, collects the answers. */
function reflect<Req extends DescMessage, Res extends DescMessage>(path: string, reqSchema: Req, resSchema: Res, requests: MessageInitShape<Req>[]) {
  return new Promise<MessageShape<Res>[]>((resolve, reject) => {
    const call = client.makeBidiStreamRequest(path, (m: MessageInitShape<Req>) => Buffer.from(toBinary(reqSchema, create(reqSchema, m))), deserialize(resSchema))
    const answers: MessageShape<Res>[] = []
    call.on('data', (answer: MessageShape<Res>) => answers.push(answer))
    call.on('error', reject)
    call.on('end', () => resolve(answers))
    for (const request of requests) call.write(request)
    call.end()
  })
}

describe('standard gRPC services over h2c, called by @grpc/grpc-js', () => {
  it('grpc.health.v1.Health/Check answers for the node and a service, NOT_FOUND for an unknown one', async () => {
    expect(await check('')).toBe(Status.SERVING)
    expect(await check(StorageService.typeName)).toBe(Status.SERVING)
    await expect(check('no.such.Service')).rejects.toMatchObject({ code: status.NOT_FOUND, details: 'unknown service "no.such.Service"' } satisfies Partial<ServiceError>)
    ready = false
    try {
      expect(await check('')).toBe(Status.NOT_SERVING)
    } finally {
      ready = true
    }
  })

  it('grpc.health.v1.Health/Watch streams the status and its changes', async () => {
    const call = client.makeServerStreamRequest('/grpc.health.v1.Health/Watch', serialize(HealthCheckRequestSchema), deserialize(HealthCheckResponseSchema), create(HealthCheckRequestSchema, { service: '' }))
    const seen: Status[] = []
    await new Promise<void>((resolve) => {
      call.on('data', (res: MessageShape<typeof HealthCheckResponseSchema>) => {
        seen.push(res.status)
        if (seen.length === 1) {
          ready = false
          for (const onChange of changes) onChange()
        } else resolve()
      })
    })
    ready = true
    const ended = new Promise<ServiceError>((resolve) => call.on('error', resolve))
    call.cancel()
    expect((await ended).code).toBe(status.CANCELLED)
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING])
    await vi.waitFor(() => expect(changes.size).toBe(0)) // the server let go of the cancelled watch
  })

  it('grpc.reflection.v1 lists services and describes one with all its dependencies', async () => {
    const answers = await reflect('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', v1.ServerReflectionRequestSchema, v1.ServerReflectionResponseSchema, [
      { messageRequest: { case: 'listServices', value: '' } },
      { messageRequest: { case: 'fileContainingSymbol', value: StorageService.typeName } },
    ])
    const [list, file] = answers.map((a) => a.messageResponse)
    expect(list?.case === 'listServicesResponse' && list.value.service.map((s) => s.name)).toEqual([
      StorageService.typeName,
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
    ])
    if (file?.case !== 'fileDescriptorResponse') throw new Error(`unexpected ${file?.case}`)
    const [root, ...deps] = file.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes))
    if (!root) throw new Error('no files')
    const registry = createFileRegistry(root, (name) => deps.find((d) => d.name === name))
    expect(registry.getService(StorageService.typeName)?.methods).toHaveLength(StorageService.methods.length)
  })

  it('grpc.reflection.v1alpha answers older clients', async () => {
    const [answer] = await reflect('/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo', v1alpha.ServerReflectionRequestSchema, v1alpha.ServerReflectionResponseSchema, [
      { messageRequest: { case: 'fileContainingSymbol', value: 'nope.Nothing' } },
    ])
    expect(answer?.messageResponse).toMatchObject({ case: 'errorResponse', value: { errorCode: status.NOT_FOUND } })
  })
})
