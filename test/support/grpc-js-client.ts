import { create, fromBinary, toBinary } from '@bufbuild/protobuf'
import type { DescMethod, DescService } from '@bufbuild/protobuf'
import * as grpc from '@grpc/grpc-js'

/**
 * A @grpc/grpc-js client for one of our services, fed our generated codecs: an independent gRPC
 * implementation, so a test proves wire compatibility rather than connect talking to connect.
 * Methods are named as in the proto (`GetRecord`); requests are plain init objects.
 */
export function grpcJsClient(service: DescService, address: string, credentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}) {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {}
  for (const method of service.methods) definition[method.name] = methodDefinition(service, method)
  const Ctor = grpc.makeGenericClientConstructor(definition, service.name)
  return new Ctor(address, credentials, options) as unknown as grpc.Client & Record<string, (...args: unknown[]) => unknown>
}

function methodDefinition(service: DescService, method: DescMethod): grpc.MethodDefinition<unknown, unknown> {
  const kind = method.methodKind
  return {
    path: `/${service.typeName}/${method.name}`,
    requestStream: kind === 'client_streaming' || kind === 'bidi_streaming',
    responseStream: kind === 'server_streaming' || kind === 'bidi_streaming',
    requestSerialize: (m: unknown) => Buffer.from(toBinary(method.input, create(method.input, m as never))),
    requestDeserialize: (b: Buffer) => fromBinary(method.input, b),
    responseSerialize: (m: unknown) => Buffer.from(toBinary(method.output, m as never)),
    responseDeserialize: (b: Buffer) => fromBinary(method.output, b),
  }
}

/** A unary call as a promise (rejects with the grpc.ServiceError). */
export function unary<T>(client: ReturnType<typeof grpcJsClient>, name: string, request: unknown, options: grpc.CallOptions = {}, metadata = new grpc.Metadata()): Promise<T> {
  const method = client[name] as (req: unknown, md: grpc.Metadata, o: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: T) => void) => void
  return new Promise((resolve, reject) =>
    method.call(client, request, metadata, { deadline: Date.now() + 10_000, ...options }, (err, res) => (err ? reject(err) : resolve(res))),
  )
}

/** Collects a server stream until its status: the messages, and the error if it did not end OK. */
export function collect<T>(call: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<unknown, T>): Promise<{ messages: T[]; error?: grpc.ServiceError }> {
  const messages: T[] = []
  return new Promise((resolve) => {
    call.on('data', (m: T) => messages.push(m))
    call.on('error', (error: grpc.ServiceError) => resolve({ messages, error }))
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) resolve({ messages })
    })
  })
}
