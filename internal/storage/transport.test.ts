import { create, toBinary } from '@bufbuild/protobuf'
import http from 'node:http'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { Code, ConnectError, type Transport, createClient } from '@connectrpc/connect'
import { connectNodeAdapter, createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  PutObjectRequestSchema,
  StorageService,
  UploadOffsetMismatchSchema,
} from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { storageRoutes } from './routes.ts'
import { createDiskBlobStore } from './runtime/disk-blob-store.ts'
import { type StorageClient, fingerprint, getAll, patternBytes, put, sha256, tempDir } from './runtime/testing.ts'

/** The storage role on real loopback sockets: gRPC over h2c and Connect over HTTP/1.1. */

let cleanup: () => Promise<void>
let h2: http2.Http2Server
let h1: http.Server
const sessions = new Set<http2.ServerHttp2Session>()
const url = (server: { address(): AddressInfo | string | null }) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`

beforeAll(async () => {
  const temp = await tempDir()
  cleanup = temp.cleanup
  const handler = connectNodeAdapter({ routes: storageRoutes({ store: await createDiskBlobStore(temp.dir) }) })
  h2 = http2.createServer(handler)
  h2.on('session', (s) => {
    sessions.add(s)
    s.on('close', () => sessions.delete(s))
  })
  h1 = http.createServer(handler)
  await Promise.all([h2, h1].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))))
  const client = createClient(StorageService, createGrpcTransport({ baseUrl: url(h2) }))
  await client.createBucket({ bucket: 'wire' })
})

afterAll(async () => {
  for (const s of sessions) s.destroy()
  h1.closeAllConnections()
  await Promise.all([h2, h1].map((s) => new Promise((resolve) => s.close(resolve))))
  await cleanup()
})

/** A Connect streaming envelope: flags, big-endian length, message. */
function envelope(message: Uint8Array): Buffer {
  const head = Buffer.alloc(5)
  head.writeUInt32BE(message.length, 1)
  return Buffer.concat([head, message])
}

const transports: [string, () => Transport][] = [
  ['gRPC over HTTP/2', () => createGrpcTransport({ baseUrl: url(h2) })],
  ['Connect over HTTP/1.1', () => createConnectTransport({ baseUrl: url(h1), httpVersion: '1.1' })],
]

describe.each(transports)('%s', (name, transport) => {
  it('puts a multi-chunk object and gets it back byte-exact', async () => {
    const client = createClient(StorageService, transport())
    const data = patternBytes(3 * 1024 * 1024 + 5, name.length)
    const key = `objects/${name.replaceAll(' ', '-').replaceAll('/', '')}`
    const { object } = await put(client, 'wire', key, data)
    expect(object?.size).toBe(BigInt(data.length))
    const read = await getAll(client.getObject({ bucket: 'wire', key }))
    expect(fingerprint(read.data)).toEqual(fingerprint(data))
    const range = await getAll(client.getObject({ bucket: 'wire', key, offset: 10n, length: 20n }))
    expect(read.data.subarray(10, 30)).toEqual(range.data)
    const err = await getAll(client.getObject({ bucket: 'wire', key: 'missing' })).catch((e: unknown) => e)
    expect(ConnectError.from(err).code).toBe(Code.NotFound)
  })
})

describe('over gRPC', () => {
  it('resumes an upload whose stream the client canceled, following UploadOffsetMismatch', async () => {
    const client: StorageClient = createClient(StorageService, createGrpcTransport({ baseUrl: url(h2) }))
    const data = patternBytes(6 * 256 * 1024, 11)
    const uploadId = (await client.createUpload({ bucket: 'wire', key: 'resumed' })).upload?.uploadId ?? ''
    async function* from(offset: number, abort?: AbortController) {
      yield { content: { case: 'header' as const, value: { bucket: 'wire', uploadId, offset: BigInt(offset) } } }
      for (let at = offset; at < data.length; at += 256 * 1024) {
        if (abort && at >= 3 * 256 * 1024) return abort.abort()
        yield { content: { case: 'chunk' as const, value: data.subarray(at, at + 256 * 1024) } }
      }
    }
    const abort = new AbortController()
    await expect(client.writeUpload(from(0, abort), { signal: abort.signal })).rejects.toMatchObject({ code: Code.Canceled })

    // A client's resume loop: ask where to continue, and follow the detail if the node knew better.
    let offset = Number((await client.getUpload({ bucket: 'wire', uploadId })).upload?.committedOffset)
    for (let attempt = 0; ; attempt++) {
      try {
        await client.writeUpload(from(offset))
        break
      } catch (e) {
        const err = ConnectError.from(e)
        const detail = err.findDetails(UploadOffsetMismatchSchema)[0]
        if (err.code !== Code.Aborted || attempt > 5) throw err
        offset = detail ? Number(detail.committedOffset) : offset
        await new Promise((resolve) => setTimeout(resolve, 10)) // another stream still holds the upload
      }
    }
    const { object } = await client.completeUpload({ bucket: 'wire', uploadId, sha256: sha256(data) })
    expect(object?.size).toBe(BigInt(data.length))
    expect(fingerprint((await getAll(client.getObject({ bucket: 'wire', key: 'resumed' }))).data)).toEqual(fingerprint(data))
  })

  it('makes nothing visible when the client cancels a PutObject, even without digest or size', async () => {
    // A canceled Node.js HTTP/2 client stream first looks complete to the handler (client-stream.ts).
    const client: StorageClient = createClient(StorageService, createGrpcTransport({ baseUrl: url(h2) }))
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    for (let i = 0; i < 3; i++) {
      const abort = new AbortController()
      async function* messages() {
        yield { content: { case: 'header' as const, value: { bucket: 'wire', key: `canceled-${i}` } } }
        for (let c = 0; c < 3; c++) yield { content: { case: 'chunk' as const, value: patternBytes(1000, c + 1) } }
        await pause(20) // the chunks reach the node
        abort.abort()
        await new Promise(() => {}) // a client that goes away mid-stream
      }
      await expect(client.putObject(messages(), { signal: abort.signal })).rejects.toMatchObject({ code: Code.Canceled })
      await pause(100) // whatever the node decides, it has decided by now
      await expect(client.headObject({ bucket: 'wire', key: `canceled-${i}` })).rejects.toMatchObject({
        code: Code.NotFound,
      })
    }
  })

  it('answers a malformed message in a client stream with INVALID_ARGUMENT, writing nothing', async () => {
    const header = toBinary(PutObjectRequestSchema, create(PutObjectRequestSchema, {
      content: { case: 'header', value: { bucket: 'wire', key: 'malformed' } },
    }))
    const chunk = toBinary(PutObjectRequestSchema, create(PutObjectRequestSchema, {
      content: { case: 'chunk', value: new Uint8Array(10) },
    }))
    const garbage = new Uint8Array([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]) // chunk of 4 GiB that never comes
    const res = await fetch(`${url(h1)}/gatehouse.storage.v1.StorageService/PutObject`, {
      method: 'POST',
      headers: { 'content-type': 'application/connect+proto', 'connect-protocol-version': '1' },
      body: Buffer.concat([envelope(header), envelope(chunk), envelope(garbage)]),
    })
    const body = new Uint8Array(await res.arrayBuffer())
    expect(body[0]).toBe(0x02) // the end-of-stream message
    const end = JSON.parse(new TextDecoder().decode(body.subarray(5)))
    expect(end.error).toEqual({ code: 'invalid_argument', message: 'malformed request message: parse binary: premature EOF' })
    const client = createClient(StorageService, createConnectTransport({ baseUrl: url(h1), httpVersion: '1.1' }))
    await expect(client.headObject({ bucket: 'wire', key: 'malformed' })).rejects.toMatchObject({ code: Code.NotFound })
  })

  it('leaves unary decoding to connect-es, which answers INTERNAL before the service runs', async () => {
    // connect-es 2.2 maps a request it cannot decode to INTERNAL "parse binary: ..." ahead of any
    // interceptor; the message still says what was wrong. (Client streams are remapped above.)
    const res = await fetch(`${url(h1)}/gatehouse.storage.v1.StorageService/GetBucket`, {
      method: 'POST',
      headers: { 'content-type': 'application/proto', 'connect-protocol-version': '1' },
      body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
    })
    expect(await res.json()).toEqual({ code: 'internal', message: 'parse binary: premature EOF' })
  })
})
