// Test support, imported only by *.test.ts: the real storage service on a temporary directory
// and the processing service, each behind an in-memory router transport (no sockets).
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, createRouterTransport } from '@connectrpc/connect'
import type { Client, ConnectError, Interceptor } from '@connectrpc/connect'
import { ProcessingService } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { Task } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import type { Object$ } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { createDiskBlobStore } from '../storage/runtime/disk-blob-store.ts'
import { createStorageService } from '../storage/service.ts'
import { processingRoutes } from './routes.ts'
import { createProcessingService } from './service.ts'
import type { ProcessingServiceDeps } from './service.ts'
import { isFinal } from './task-store.ts'
import { concatBytes } from '../shell/bytes.ts'

export const BUCKET = 'data'
const CHUNK = 1024 * 1024

export interface Harness {
  readonly storage: Client<typeof StorageService>
  readonly processing: Client<typeof ProcessingService>
  /** Writes an object with PutObject (1 MiB chunks, SHA-256 declared). */
  put(key: string, data: Uint8Array): Promise<Object$>
  /** Reads a whole object with GetObject. */
  read(key: string): Promise<Uint8Array>
  /** Every WatchTask snapshot of a task until its final state. */
  watch(taskId: string): Promise<Task[]>
  /** The task's final snapshot. */
  settle(taskId: string): Promise<Task>
  close(): Promise<void>
}

export type HarnessOptions = Omit<ProcessingServiceDeps, 'storage'> & {
  /** Client-side interceptors on the processing node's storage client (slow or hold reads). */
  readonly storageInterceptors?: Interceptor[]
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-processing-'))
  const storageImpl = createStorageService({ store: await createDiskBlobStore(dir) })
  const storage = createClient(
    StorageService,
    createRouterTransport(({ service }) => service(StorageService, storageImpl), {
      transport: { interceptors: options.storageInterceptors ?? [] },
    }),
  )
  const impl = createProcessingService({ ...options, storage })
  const processing = createClient(ProcessingService, createRouterTransport(processingRoutes(impl)))
  await storage.createBucket({ bucket: BUCKET })

  const watch = async (taskId: string): Promise<Task[]> => {
    const seen: Task[] = []
    for await (const res of processing.watchTask({ taskId })) if (res.task) seen.push(res.task)
    return seen
  }
  return {
    storage,
    processing,
    async put(key, data) {
      async function* requests() {
        const sha256 = new Uint8Array(createHash('sha256').update(data).digest())
        yield { content: { case: 'header' as const, value: { bucket: BUCKET, key, sha256, size: BigInt(data.byteLength) } } }
        for (let at = 0; at < data.byteLength; at += CHUNK) {
          yield { content: { case: 'chunk' as const, value: data.subarray(at, at + CHUNK) } }
        }
      }
      const { object } = await storage.putObject(requests())
      return object!
    },
    async read(key) {
      const parts: Uint8Array[] = []
      for await (const res of storage.getObject({ bucket: BUCKET, key })) {
        if (res.content.case === 'chunk') parts.push(res.content.value)
      }
      return concatBytes(parts)
    },
    watch,
    async settle(taskId) {
      const last = (await watch(taskId)).at(-1)
      if (!last || !isFinal(last.state)) throw new Error(`task ${taskId}: watch ended before a final state`)
      return last
    },
    async close() {
      await impl.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export const randomData = (size: number): Uint8Array => new Uint8Array(randomBytes(size))


/** Delays every GetObject response message by `ms` (a slow network), ending early on abort. */
export const slowReads =
  (ms: number): Interceptor =>
  (next) =>
  async (req) => {
    const res = await next(req)
    if (!res.stream || req.method.name !== 'GetObject') return res
    const message = (async function* () {
      for await (const m of res.message) {
        await new Promise((resolve) => setTimeout(resolve, ms))
        if (req.signal.aborted) return
        yield m
      }
    })()
    return { ...res, message }
  }

/** Breaks every GetObject stream with `error` after `messages` messages (a storage node dying). */
export const breakReads =
  (messages: number, error: ConnectError): Interceptor =>
  (next) =>
  async (req) => {
    const res = await next(req)
    if (!res.stream || req.method.name !== 'GetObject') return res
    const message = (async function* () {
      let n = 0
      for await (const m of res.message) {
        if (n++ === messages) throw error
        yield m
      }
    })()
    return { ...res, message }
  }

/** Holds every GetObject call until `release()`: tasks stay RUNNING, so the queue fills up. */
export function holdReads(): { interceptor: Interceptor; release(): void } {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  const interceptor: Interceptor = (next) => async (req) => {
    if (req.method.name === 'GetObject') await released
    return next(req)
  }
  return { interceptor, release }
}
