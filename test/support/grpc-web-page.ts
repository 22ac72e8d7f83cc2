/**
 * The page of the browser test (test/e2e/grpc-web-browser.test.ts), bundled with esbuild at test
 * time: connect-web's gRPC-web transport calling the gateway from another origin. Each call
 * resolves to a plain object the test can read back through playwright.
 */
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import { createGrpcWebTransport } from '@connectrpc/connect-web'
import { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { DigestAlgorithm, ProcessingService, TaskState } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'

export type CallResult = { ok: true; value: string } | { ok: false; code: string; message: string }

const calls = {
  async unary(baseUrl: string): Promise<string> {
    const metadata = createClient(MetadataService, createGrpcWebTransport({ baseUrl }))
    const res = await metadata.getRecord({ key: 'web/greeting' })
    return new TextDecoder().decode(res.record?.value)
  },
  async serverStream(baseUrl: string): Promise<string> {
    const storage = createClient(StorageService, createGrpcWebTransport({ baseUrl }))
    const parts: string[] = []
    for await (const m of storage.getObject({ bucket: 'web', key: 'poem.txt' })) {
      if (m.content.case === 'chunk') parts.push(new TextDecoder().decode(m.content.value))
    }
    return `${parts.length}:${parts.join('')}`
  },
  /** A digest task over the stored object, submitted (unary) and watched (server stream) to its end. */
  async processingTask(baseUrl: string): Promise<string> {
    const processing = createClient(ProcessingService, createGrpcWebTransport({ baseUrl }))
    const submitted = await processing.submitTask({
      input: { kind: { case: 'digestObject', value: { bucket: 'web', key: 'poem.txt', algorithm: DigestAlgorithm.SHA256 } } },
    })
    let last = TaskState.UNSPECIFIED
    let digest = ''
    for await (const event of processing.watchTask({ taskId: submitted.task?.taskId ?? '' })) {
      last = event.task?.state ?? last
      const result = event.task?.result?.kind
      if (result?.case === 'digestObject') digest = Array.from(result.value.digest, (b) => b.toString(16).padStart(2, '0')).join('')
    }
    return `${TaskState[last]}:${digest}`
  },
  async notFound(baseUrl: string): Promise<string> {
    const metadata = createClient(MetadataService, createGrpcWebTransport({ baseUrl }))
    await metadata.getRecord({ key: 'web/missing' })
    return 'unexpected success'
  },
  async unauthenticated(baseUrl: string): Promise<string> {
    const metadata = createClient(MetadataService, createGrpcWebTransport({ baseUrl }))
    await metadata.deleteRecord({ key: 'web/greeting' })
    return 'unexpected success'
  },
}

export type CallName = keyof typeof calls

async function run(baseUrl: string, name: CallName): Promise<CallResult> {
  try {
    return { ok: true, value: await calls[name](baseUrl) }
  } catch (err) {
    const e = ConnectError.from(err)
    return { ok: false, code: Code[e.code], message: e.rawMessage }
  }
}

;(globalThis as unknown as { gatehouse: { run: typeof run } }).gatehouse = { run }
