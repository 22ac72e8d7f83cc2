import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import type { MessageInitShape } from '@bufbuild/protobuf'
import { type Client, createClient, createRouterTransport } from '@connectrpc/connect'
import {
  type PutObjectHeaderSchema,
  type PutObjectRequestSchema,
  StorageService,
} from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import type { BlobStore } from '../blob-store.ts'
import { createStorageService } from '../service.ts'
import { createDiskBlobStore } from './disk-blob-store.ts'

/** Test helpers of the storage role: imported only by *.test.ts. */

export type StorageClient = Client<typeof StorageService>

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-storage-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Every file under `dir`, relative and sorted (to prove that nothing was left behind). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort()
}

/** A disk store in `dir` behind the service, reached in memory through the router transport. */
export async function inMemoryClient(
  dir: string,
  clock?: () => Date,
): Promise<{ client: StorageClient; store: BlobStore }> {
  const store = await createDiskBlobStore(dir)
  const service = createStorageService(clock ? { store, clock } : { store })
  const client = createClient(StorageService, createRouterTransport(({ service: add }) => add(StorageService, service)))
  return { client, store }
}

/** Deterministic pseudo-random bytes (xorshift32), so tests can regenerate any slice. */
export function patternBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

export const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest())

type PutRequest = MessageInitShape<typeof PutObjectRequestSchema>

/** A PutObject stream: the header, then `data` in chunks of `chunkSize`. */
export async function* putMessages(
  header: MessageInitShape<typeof PutObjectHeaderSchema>,
  data: Uint8Array,
  chunkSize = 1 << 20,
): AsyncGenerator<PutRequest> {
  yield { content: { case: 'header', value: header } }
  for (let at = 0; at < data.length; at += chunkSize) {
    yield { content: { case: 'chunk', value: data.subarray(at, at + chunkSize) } }
  }
}

/** Puts `data` with its SHA-256 (as every Gatehouse client does). */
export function put(
  client: StorageClient,
  bucket: string,
  key: string,
  data: Uint8Array,
  extra: { contentType?: string; size?: bigint; ifGenerationMatch?: bigint; sha256?: Uint8Array } = {},
) {
  return client.putObject(putMessages({ bucket, key, sha256: sha256(data), ...extra }, data))
}

/** Reads a GetObject stream: its header, every chunk's size, and the bytes joined. */
export async function getAll(stream: AsyncIterable<{ content: { case: string | undefined; value?: unknown } }>) {
  let header: unknown
  const parts: Uint8Array[] = []
  for await (const { content } of stream) {
    if (content.case === 'header') header = content.value
    else parts.push(content.value as Uint8Array)
  }
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    data.set(p, at)
    at += p.length
  }
  return { header, data, chunkSizes: parts.map((p) => p.length) }
}

/** Compares bytes by length and SHA-256 (vitest's deep equality is slow on megabytes). */
export const fingerprint = (data: Uint8Array) => ({
  length: data.length,
  sha256: Buffer.from(sha256(data)).toString('hex'),
})
