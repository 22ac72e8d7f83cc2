import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import type { ConnectRouter } from '@connectrpc/connect'
import { connectNodeAdapter } from '@connectrpc/connect-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MetadataService, NotLeaderSchema } from '../../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { StorageService } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { createNodeHttpClient } from '../runtime/node-http-client.ts'
import { createExchangeTransport } from './exchange-client.ts'

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true })
  })

/** A real Connect server on 127.0.0.1 with just the methods these tests call. */
function routes(seen: { aborted: number; headers: Headers[] }) {
  return (router: ConnectRouter) => {
    router.service(MetadataService, {
      async getRecord(req, ctx) {
        seen.headers.push(ctx.requestHeader)
        if (req.key === 'slow') {
          try {
            await sleep(5000, ctx.signal)
          } catch {
            seen.aborted++
            throw new ConnectError('gone', Code.Canceled)
          }
        }
        if (req.key === 'follower') {
          throw new ConnectError('not the leader', Code.Unavailable, { 'x-node': 'b' }, [
            { desc: NotLeaderSchema, value: { leaderAddress: 'http://leader:7003', epoch: 3n } },
          ])
        }
        ctx.responseHeader.set('x-node', 'a')
        ctx.responseTrailer.set('x-served', 'yes')
        return { record: { key: req.key, value: new TextEncoder().encode('v'.repeat(req.key === 'big' ? 200_000 : 1)), version: 7n } }
      },
      async *watchRecords(req) {
        for (let i = 1; i <= 3; i++) yield { header: { revision: BigInt(i) }, events: [{ record: { key: `${req.prefix}${i}` } }] }
      },
    })
    router.service(StorageService, {
      async putObject(requests) {
        let size = 0
        let key = ''
        for await (const r of requests) {
          if (r.content.case === 'header') key = r.content.value.key
          if (r.content.case === 'chunk') size += r.content.value.length
        }
        return { object: { key, size: BigInt(size) } }
      },
    })
  }
}

describe('createExchangeTransport: Connect over the runtime HTTP exchange', () => {
  let server: Server
  let baseUrl: string
  const seen = { aborted: 0, headers: [] as Headers[] }
  const http = createNodeHttpClient()

  beforeAll(async () => {
    server = createServer(connectNodeAdapter({ routes: routes(seen) }))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await http.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('makes unary calls with the caller headers, and returns response headers, trailers and large messages', async () => {
    const client = createClient(MetadataService, createExchangeTransport(http, baseUrl))
    let header: Headers | undefined
    let trailer: Headers | undefined
    const res = await client.getRecord({ key: 'big' }, { headers: { 'x-request-id': 'r-1' }, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) })
    expect(res.record?.version).toBe(7n)
    expect(res.record?.value.length).toBe(200_000)
    expect(header?.get('x-node')).toBe('a')
    expect(trailer?.get('x-served')).toBe('yes')
    expect(seen.headers.at(-1)?.get('x-request-id')).toBe('r-1')
  })

  it('turns a Connect error into a ConnectError with its code, metadata and details', async () => {
    const client = createClient(MetadataService, createExchangeTransport(http, baseUrl))
    const err = await client.getRecord({ key: 'follower' }).then(() => new ConnectError('no error'), (e: unknown) => ConnectError.from(e))
    expect(err.code).toBe(Code.Unavailable)
    expect(err.rawMessage).toBe('not the leader')
    expect(err.metadata.get('x-node')).toBe('b')
    expect(err.findDetails(NotLeaderSchema)[0]?.leaderAddress).toBe('http://leader:7003')
  })

  it('sends the deadline upstream and ends the call with DEADLINE_EXCEEDED, aborting the request', async () => {
    const client = createClient(MetadataService, createExchangeTransport(http, baseUrl))
    const before = seen.aborted
    const started = Date.now()
    const err = await client.getRecord({ key: 'slow' }, { timeoutMs: 150 }).then(() => new ConnectError('no error'), (e: unknown) => ConnectError.from(e))
    expect(err.code).toBe(Code.DeadlineExceeded)
    expect(Date.now() - started).toBeLessThan(3000)
    expect(seen.headers.at(-1)?.get('connect-timeout-ms')).toMatch(/^\d+$/)
    await expect.poll(() => seen.aborted, { timeout: 3000 }).toBe(before + 1)
  })

  it('cancels with the caller signal', async () => {
    const client = createClient(MetadataService, createExchangeTransport(http, baseUrl))
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const err = await client.getRecord({ key: 'slow' }, { signal: controller.signal }).then(() => new ConnectError('no error'), (e: unknown) => ConnectError.from(e))
    expect(err.code).toBe(Code.Canceled)
  })

  it('reports a refused connection as UNAVAILABLE with the cause kept', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const client = createClient(MetadataService, createExchangeTransport(http, `http://127.0.0.1:${port}`))
    const err = await client.getRecord({ key: 'k' }).then(() => new ConnectError('no error'), (e: unknown) => ConnectError.from(e))
    expect(err.code).toBe(Code.Unavailable)
    expect(err.cause).toBeInstanceOf(Error)
  })

  it('streams: server streams and client streams', async () => {
    const transport = createExchangeTransport(http, baseUrl)
    const keys: string[] = []
    for await (const res of createClient(MetadataService, transport).watchRecords({ prefix: 'p/' })) keys.push(res.events[0]?.record?.key ?? '')
    expect(keys).toEqual(['p/1', 'p/2', 'p/3'])
    async function* upload() {
      yield { content: { case: 'header' as const, value: { bucket: 'b', key: 'k' } } }
      for (let i = 0; i < 3; i++) yield { content: { case: 'chunk' as const, value: new Uint8Array(1000) } }
    }
    expect((await createClient(StorageService, transport).putObject(upload())).object?.size).toBe(3000n)
  })
})
