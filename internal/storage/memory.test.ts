import { createHash } from 'node:crypto'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createClient } from '@connectrpc/connect'
import { connectNodeAdapter, createGrpcTransport } from '@connectrpc/connect-node'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { storageRoutes } from './routes.ts'
import { createDiskBlobStore } from './runtime/disk-blob-store.ts'
import { type StorageClient, tempDir } from './runtime/testing.ts'

/**
 * Memory stays flat with object size: 256 MiB up and down over gRPC on a loopback socket, client
 * and server in this process, RSS sampled throughout. (The 1 GiB figure is a benchmark's job.)
 */

const MIB = 1024 * 1024
const SIZE = 256 * MIB
const LIMIT = 64 * MIB

let cleanup: () => Promise<void>
let server: http2.Http2Server
let client: StorageClient
const sessions = new Set<http2.ServerHttp2Session>()

beforeAll(async () => {
  const temp = await tempDir()
  cleanup = temp.cleanup
  server = http2.createServer(connectNodeAdapter({ routes: storageRoutes({ store: await createDiskBlobStore(temp.dir) }) }))
  server.on('session', (s) => sessions.add(s))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  client = createClient(StorageService, createGrpcTransport({ baseUrl }))
  await client.createBucket({ bucket: 'big' })
})

afterAll(async () => {
  for (const s of sessions) s.destroy()
  await new Promise((resolve) => server.close(resolve))
  await cleanup()
})

/** Chunk `i` of an object: 1 MiB, different for every i, written into `into` (a new array by default). */
function chunk(i: number, into = new Uint8Array(MIB)): Uint8Array {
  const view = new DataView(into.buffer)
  for (let at = 0; at < MIB; at += 4096) view.setUint32(at, (i * 4096 + at) ^ 0x9e3779b9)
  return into
}

/** The SHA-256 of the object made of chunks 0..n-1 (the header needs it before the bytes). */
function digestOf(size: number): Uint8Array {
  const hash = createHash('sha256')
  const buffer = new Uint8Array(MIB) // reused: no garbage before the measurement
  for (let i = 0; i < size / MIB; i++) hash.update(chunk(i, buffer))
  return new Uint8Array(hash.digest())
}

async function upload(key: string, size: number, sha256: Uint8Array): Promise<void> {
  async function* messages() {
    yield { content: { case: 'header' as const, value: { bucket: 'big', key, sha256, size: BigInt(size) } } }
    for (let i = 0; i < size / MIB; i++) yield { content: { case: 'chunk' as const, value: chunk(i) } }
  }
  await client.putObject(messages())
}

async function download(key: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const { content } of client.getObject({ bucket: 'big', key })) {
    if (content.case !== 'chunk') continue
    hash.update(content.value)
    bytes += content.value.length
  }
  return { bytes, sha256: hash.digest('hex') }
}

/** A full GC, so that the baseline holds no garbage (vitest runs without --expose-gc). */
v8.setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Runs `fn` while sampling RSS every 10 ms; returns the growth over the RSS before it started. */
async function rssGrowth<T>(fn: () => Promise<T>): Promise<{ result: T; growth: number; seconds: number }> {
  gc()
  const base = process.memoryUsage().rss
  let peak = base
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 10)
  const start = performance.now()
  try {
    const result = await fn()
    peak = Math.max(peak, process.memoryUsage().rss)
    return { result, growth: peak - base, seconds: (performance.now() - start) / 1000 }
  } finally {
    clearInterval(timer)
  }
}

it('streams a 256 MiB object up and down with RSS growth well under 64 MB', { timeout: 60_000 }, async () => {
  // Warm up code paths and buffers with a small object first.
  await upload('warm-up', 8 * MIB, digestOf(8 * MIB))
  await download('warm-up')
  const sha256 = digestOf(SIZE)

  const up = await rssGrowth(() => upload('object', SIZE, sha256))
  const down = await rssGrowth(() => download('object'))
  expect(down.result).toEqual({ bytes: SIZE, sha256: Buffer.from(sha256).toString('hex') })

  const mb = (n: number) => (n / 1e6).toFixed(1)
  console.log(
    `256 MiB over gRPC/h2c loopback: up ${(SIZE / MIB / up.seconds).toFixed(0)} MiB/s (RSS +${mb(up.growth)} MB), ` +
      `down ${(SIZE / MIB / down.seconds).toFixed(0)} MiB/s (RSS +${mb(down.growth)} MB)`,
  )
  expect(up.growth).toBeLessThan(LIMIT)
  expect(down.growth).toBeLessThan(LIMIT)
})
