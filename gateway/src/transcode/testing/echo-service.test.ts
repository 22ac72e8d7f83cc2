// The echo service and the transcoder over real sockets on 127.0.0.1: connect-node serves it
// (HTTP/1.1 for Connect, h2c for gRPC), and the transcoder calls it through real transports.
import { createServer } from 'node:http'
import { createServer as createHttp2Server } from 'node:http2'
import type { AddressInfo } from 'node:net'
import type { Transport } from '@connectrpc/connect'
import { connectNodeAdapter, createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node'
import { createConnectTransport as createFetchTransport } from '@connectrpc/connect-web'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { echoRoutes } from './echo-service.ts'
import { ECHO_SERVICE, transcodeApp } from './transcode-app.ts'

const handler = connectNodeAdapter({ routes: echoRoutes() })
const h1 = createServer(handler)
const h2 = createHttp2Server(handler)
const listen = (server: typeof h1 | typeof h2) =>
  new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)))

let transports: [string, Transport][] = []
beforeAll(async () => {
  const [base1, base2] = await Promise.all([listen(h1), listen(h2)])
  transports = [
    ['connect over HTTP/1.1 (connect-node)', createConnectTransport({ baseUrl: base1, httpVersion: '1.1' })],
    ['connect over fetch (connect-web)', createFetchTransport({ baseUrl: base1, fetch: globalThis.fetch })],
    ['gRPC over h2c (connect-node)', createGrpcTransport({ baseUrl: base2 })],
  ]
})
afterAll(async () => {
  h2.close()
  await new Promise((resolve) => h1.close(resolve))
})

describe('the transcoder against a real server', () => {
  it.each([0, 1, 2])('unary, both streaming shapes and errors through transport %i', async (i) => {
    const [, transport] = transports[i]!
    const app = transcodeApp(ECHO_SERVICE, { transport, timeoutMs: 10_000 })
    const get = await app.request('/v1/shelves/s/things/t?filter.count=12&view=COLOR_RED')
    expect(await get.json()).toEqual({ request: { name: 'shelves/s/things/t', filter: { count: '12' }, view: 'COLOR_RED' } })

    const watch = await app.request('/v1/things:watch?count=3&fail_after=2')
    expect((await watch.text()).trim().split('\n').map((l) => Object.keys(JSON.parse(l) as object)[0])).toEqual(['result', 'result', 'error'])

    const put = await app.request('/v1/blobs/b', { method: 'PUT', body: 'raw bytes' })
    if (i === 1) {
      // connect-web's fetch transport cannot stream a request body (it throws a string): a
      // clean, opaque 500, never a crash. Client streaming needs a connect-node transport.
      expect(put.status).toBe(500)
      expect(await put.json()).toMatchObject({ connectCode: 'unknown', detail: 'Internal error' })
    } else {
      expect(await put.json()).toMatchObject({ header: { name: 'b' }, size: '9', data: btoa('raw bytes') })
    }

    const failed = await app.request('/v1/errors:raise', { method: 'POST', body: JSON.stringify({ code: 'already_exists', message: 'm', withDetail: true }) })
    expect(failed.status).toBe(409)
    expect(await failed.json()).toMatchObject({ connectCode: 'already_exists', detail: 'm', details: [{ debug: { reason: 'because' } }] })
  })
})
