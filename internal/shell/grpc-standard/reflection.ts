import { create, toBinary } from '@bufbuild/protobuf'
import type { DescFile } from '@bufbuild/protobuf'
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt'
import { Code, ConnectError } from '@connectrpc/connect'
import type { ConnectRouter } from '@connectrpc/connect'
import * as v1 from '../../../proto/gen/grpc/reflection/v1/reflection_pb.ts'
import * as v1alpha from '../../../proto/gen/grpc/reflection/v1alpha/reflection_pb.ts'
import { createDescriptorIndex } from './descriptor-index.ts'
import type { DescriptorIndex } from './descriptor-index.ts'

/** A reflection request of either version (they are identical but for the package). */
interface ReflectionRequest {
  readonly host: string
  readonly messageRequest:
    | { case: 'fileByFilename' | 'fileContainingSymbol' | 'allExtensionNumbersOfType' | 'listServices'; value: string }
    | { case: 'fileContainingExtension'; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined }
}

/** The `message_response` oneof of a reflection response, as an init object of either version. */
type Answer =
  | { case: 'fileDescriptorResponse'; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: 'allExtensionNumbersResponse'; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: 'listServicesResponse'; value: { service: { name: string }[] } }
  | { case: 'errorResponse'; value: { errorCode: number; errorMessage: string } }

/**
 * gRPC server reflection, `grpc.reflection.v1.ServerReflection` and its predecessor
 * `grpc.reflection.v1alpha.ServerReflection`, over `files` (the generated `file_*` exports of the
 * served services) and all their imports (google/api, google/protobuf, ...). Lists the services
 * declared in `files`; answers file requests with the serialized FileDescriptorProto of the file
 * and of its transitive dependencies, leaving out dependencies already sent on the same stream
 * (as the protocol allows and grpc-go does). Unknown names get an `error_response` with NOT_FOUND
 * and the stream goes on; a request without a question ends the stream with INVALID_ARGUMENT.
 */
export function createReflectionServices(files: readonly DescFile[]): (router: ConnectRouter) => void {
  const answer = createAnswerer(createDescriptorIndex(files))
  return (router) => {
    router.service(v1.ServerReflection, {
      async *serverReflectionInfo(requests) {
        const sent = new Set<string>()
        for await (const request of requests) {
          const messageResponse = answer(request, sent)
          yield create(v1.ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse })
        }
      },
    })
    router.service(v1alpha.ServerReflection, {
      async *serverReflectionInfo(requests) {
        const sent = new Set<string>()
        for await (const request of requests) {
          const messageResponse = answer(request, sent)
          yield create(v1alpha.ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse })
        }
      },
    })
  }
}

function createAnswerer(index: DescriptorIndex): (request: ReflectionRequest, sent: Set<string>) => Answer {
  const encoded = new Map<string, Uint8Array>()
  const bytesOf = (file: DescFile): Uint8Array => {
    let bytes = encoded.get(file.proto.name)
    if (!bytes) encoded.set(file.proto.name, (bytes = toBinary(FileDescriptorProtoSchema, file.proto)))
    return bytes
  }
  /** The file itself always; its transitive imports breadth first, each once per stream. */
  const fileAnswer = (file: DescFile, sent: Set<string>): Answer => {
    const out = [bytesOf(file)]
    sent.add(file.proto.name)
    const queue = [...file.dependencies]
    for (let dep = queue.shift(); dep; dep = queue.shift()) {
      if (sent.has(dep.proto.name)) continue
      sent.add(dep.proto.name)
      out.push(bytesOf(dep))
      queue.push(...dep.dependencies)
    }
    return { case: 'fileDescriptorResponse', value: { fileDescriptorProto: out } }
  }
  const notFound = (errorMessage: string): Answer => ({ case: 'errorResponse', value: { errorCode: Code.NotFound, errorMessage } })

  return ({ messageRequest: q }, sent) => {
    switch (q.case) {
      case 'listServices':
        return { case: 'listServicesResponse', value: { service: index.services.map((name) => ({ name })) } }
      case 'fileByFilename': {
        const file = index.fileByName(q.value)
        return file ? fileAnswer(file, sent) : notFound(`file not found: ${q.value}`)
      }
      case 'fileContainingSymbol': {
        const file = index.fileBySymbol(q.value)
        return file ? fileAnswer(file, sent) : notFound(`symbol not found: ${q.value}`)
      }
      case 'fileContainingExtension': {
        const { containingType, extensionNumber } = q.value
        const extension = index.extension(containingType, extensionNumber)
        return extension ? fileAnswer(extension.file, sent) : notFound(`extension not found: ${containingType} ${extensionNumber}`)
      }
      case 'allExtensionNumbersOfType': {
        const numbers = index.extensionNumbers(q.value)
        if (!numbers) return notFound(`type not found: ${q.value}`)
        return { case: 'allExtensionNumbersResponse', value: { baseTypeName: q.value, extensionNumber: numbers } }
      }
      case undefined:
        throw new ConnectError('the request asks nothing (message_request is not set)', Code.InvalidArgument)
    }
  }
}
