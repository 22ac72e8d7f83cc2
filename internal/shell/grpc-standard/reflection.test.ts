import { createFileRegistry, fromBinary, getOption } from '@bufbuild/protobuf'
import type { MessageInitShape } from '@bufbuild/protobuf'
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt'
import { Code, createClient, createRouterTransport } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { file_gatehouse_processing_v1_processing, ProcessingService } from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { file_gatehouse_storage_v1_storage, StorageService } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { http } from '../../../proto/gen/google/api/annotations_pb.ts'
import * as v1 from '../../../proto/gen/grpc/reflection/v1/reflection_pb.ts'
import * as v1alpha from '../../../proto/gen/grpc/reflection/v1alpha/reflection_pb.ts'
import { createReflectionServices } from './reflection.ts'
import { standardGrpcRoutes, withStandardGrpc } from './routes.ts'

type Question = MessageInitShape<typeof v1.ServerReflectionRequestSchema>['messageRequest']

/** A request stream the test feeds one question at a time. */
function channel<T>() {
  const items: T[] = []
  let wake: (() => void) | undefined
  let done = false
  return {
    push(item: T) {
      items.push(item)
      wake?.()
    },
    end() {
      done = true
      wake?.()
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        for (let item = items.shift(); item !== undefined; item = items.shift()) yield item
        if (done) return
        await new Promise<void>((resolve) => (wake = resolve))
      }
    },
  }
}

/** One ServerReflectionInfo stream on a router serving `routes`: ask(question) -> the answer. */
function session(routes = standardGrpcRoutes({ files: [file_gatehouse_storage_v1_storage, file_gatehouse_processing_v1_processing], check: () => 'SERVING' })) {
  const client = createClient(v1.ServerReflection, createRouterTransport(routes))
  const requests = channel<MessageInitShape<typeof v1.ServerReflectionRequestSchema>>()
  const responses = client.serverReflectionInfo(requests)[Symbol.asyncIterator]()
  return {
    async ask(messageRequest: Question) {
      requests.push({ host: 'node.test', messageRequest })
      const { value } = await responses.next()
      if (!value) throw new Error('stream ended')
      return value
    },
    end: () => requests.end(),
  }
}

/** The file names of a file_descriptor_response (and the decoded protos). */
function files(response: v1.ServerReflectionResponse) {
  if (response.messageResponse.case !== 'fileDescriptorResponse') throw new Error(`not files: ${JSON.stringify(response.messageResponse)}`)
  const protos = response.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes))
  return { names: protos.map((p) => p.name), protos }
}

/** The service names of a list_services_response. */
function serviceNames(response: v1.ServerReflectionResponse): string[] {
  if (response.messageResponse.case !== 'listServicesResponse') throw new Error(`not services: ${JSON.stringify(response.messageResponse)}`)
  return response.messageResponse.value.service.map((service) => service.name)
}

const STORAGE_FILES = [
  'gatehouse/storage/v1/storage.proto',
  'google/api/annotations.proto',
  'google/protobuf/timestamp.proto',
  'google/api/http.proto',
  'google/protobuf/descriptor.proto',
]

describe('server reflection (grpc.reflection.v1)', () => {
  it('lists the node services and the standard ones', async () => {
    const s = session()
    const answer = await s.ask({ case: 'listServices', value: '' })
    expect(answer.validHost).toBe('node.test')
    expect(answer.originalRequest?.messageRequest).toEqual({ case: 'listServices', value: '' })
    expect(serviceNames(answer)).toEqual([
      'gatehouse.storage.v1.StorageService',
      'gatehouse.processing.v1.ProcessingService',
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
    ])
  })

  it('resolves a service to its file and every transitive dependency, which together build a complete registry', async () => {
    const { names, protos } = files(await session().ask({ case: 'fileContainingSymbol', value: 'gatehouse.storage.v1.StorageService' }))
    expect(names).toEqual(STORAGE_FILES)
    // What a client does with them: link the files (throws on a missing import) and read the service.
    const [root, ...dependencies] = protos
    if (!root) throw new Error('no files')
    const registry = createFileRegistry(root, (name) => dependencies.find((p) => p.name === name))
    const service = registry.getService(StorageService.typeName)
    expect(service?.methods.map((m) => m.name)).toEqual(StorageService.methods.map((m) => m.name))
    const getObject = service?.methods.find((m) => m.name === 'GetObject')
    expect(getObject && getOption(getObject, http).pattern).toEqual({ case: 'get', value: '/v1/buckets/{bucket}/objects/{key=**}' })
  })

  it('resolves methods, nested messages, fields, enum values and extensions, and leaves out files already sent', async () => {
    const s = session()
    expect(files(await s.ask({ case: 'fileContainingSymbol', value: 'gatehouse.storage.v1.StorageService.GetObject' })).names).toEqual(STORAGE_FILES)
    // Same stream: only the requested file and the dependencies not sent yet.
    const task = files(await s.ask({ case: 'fileContainingSymbol', value: `${ProcessingService.typeName}.SubmitTask` })).names
    expect(task).toEqual(['gatehouse/processing/v1/processing.proto', 'google/protobuf/duration.proto'])
    expect(files(await s.ask({ case: 'fileContainingSymbol', value: 'gatehouse.storage.v1.Object.etag' })).names).toEqual(['gatehouse/storage/v1/storage.proto'])
    expect(files(await s.ask({ case: 'fileContainingSymbol', value: 'google.protobuf.Timestamp' })).names).toEqual(['google/protobuf/timestamp.proto'])
    expect(files(await s.ask({ case: 'fileContainingSymbol', value: 'google.api.http' })).names).toEqual(['google/api/annotations.proto'])
    expect(files(await s.ask({ case: 'fileContainingSymbol', value: 'gatehouse.processing.v1.TASK_STATE_RUNNING' })).names[0]).toBe('gatehouse/processing/v1/processing.proto')
    expect(files(await s.ask({ case: 'fileByFilename', value: 'google/api/http.proto' })).names).toEqual(['google/api/http.proto'])
    const extension = { containingType: 'google.protobuf.MethodOptions', extensionNumber: 72295728 }
    expect(files(await s.ask({ case: 'fileContainingExtension', value: extension })).names).toEqual(['google/api/annotations.proto'])
    s.end()
  })

  it('answers all_extension_numbers_of_type', async () => {
    const s = session()
    expect((await s.ask({ case: 'allExtensionNumbersOfType', value: 'google.protobuf.MethodOptions' })).messageResponse).toEqual({
      case: 'allExtensionNumbersResponse',
      value: expect.objectContaining({ baseTypeName: 'google.protobuf.MethodOptions', extensionNumber: [72295728] }),
    })
    const none = (await s.ask({ case: 'allExtensionNumbersOfType', value: 'gatehouse.storage.v1.Object' })).messageResponse
    expect(none.case === 'allExtensionNumbersResponse' && none.value.extensionNumber).toEqual([])
  })

  it('answers unknown names with a NOT_FOUND error_response, and the stream goes on', async () => {
    const s = session()
    const notFound = (errorMessage: string) => ({ case: 'errorResponse', value: expect.objectContaining({ errorCode: Code.NotFound, errorMessage }) })
    expect((await s.ask({ case: 'fileContainingSymbol', value: 'gatehouse.nope.v1.Nothing' })).messageResponse).toEqual(notFound('symbol not found: gatehouse.nope.v1.Nothing'))
    expect((await s.ask({ case: 'fileByFilename', value: 'nope.proto' })).messageResponse).toEqual(notFound('file not found: nope.proto'))
    const extension = { containingType: 'google.protobuf.MethodOptions', extensionNumber: 1 }
    expect((await s.ask({ case: 'fileContainingExtension', value: extension })).messageResponse).toEqual(notFound('extension not found: google.protobuf.MethodOptions 1'))
    expect((await s.ask({ case: 'allExtensionNumbersOfType', value: 'no.Such' })).messageResponse).toEqual(notFound('type not found: no.Such'))
    expect((await s.ask({ case: 'listServices', value: '' })).messageResponse.case).toBe('listServicesResponse')
  })

  it('ends the stream with INVALID_ARGUMENT for a request that asks nothing', async () => {
    await expect(session().ask({ case: undefined })).rejects.toMatchObject({ code: Code.InvalidArgument })
  })
})

describe('server reflection (grpc.reflection.v1alpha)', () => {
  it('answers like v1, in v1alpha messages', async () => {
    const routes = createReflectionServices([file_gatehouse_storage_v1_storage])
    const client = createClient(v1alpha.ServerReflection, createRouterTransport(routes))
    const answers = []
    async function* requests() {
      yield { messageRequest: { case: 'listServices', value: '*' } } as const
      yield { messageRequest: { case: 'fileContainingSymbol', value: 'gatehouse.storage.v1.StorageService' } } as const
      yield { messageRequest: { case: 'fileContainingSymbol', value: 'nope' } } as const
    }
    for await (const answer of client.serverReflectionInfo(requests())) answers.push(answer)
    expect(answers.map((a) => a.$typeName)).toEqual(Array(3).fill('grpc.reflection.v1alpha.ServerReflectionResponse'))
    expect(answers[0]?.messageResponse).toMatchObject({ case: 'listServicesResponse', value: { service: [{ name: 'gatehouse.storage.v1.StorageService' }] } })
    expect(answers[1]?.messageResponse.case === 'fileDescriptorResponse' && answers[1].messageResponse.value.fileDescriptorProto).toHaveLength(5)
    expect(answers[2]?.messageResponse).toMatchObject({ case: 'errorResponse', value: { errorCode: Code.NotFound } })
  })
})

describe('withStandardGrpc', () => {
  it('adds health and reflection to a node routes, describing only the services it registers', async () => {
    const routes = withStandardGrpc((router) => router.service(StorageService, {}), () => true)
    const answer = await session(routes).ask({ case: 'listServices', value: '' })
    expect(serviceNames(answer)).toEqual([
      'gatehouse.storage.v1.StorageService',
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
    ])
  })
})
