import { createServer } from 'node:http'
import type { Server, ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FieldList } from '../field-list.ts'
import { GatewayError } from '../errors.ts'
import type { UpstreamRequest } from '../http-client.ts'
import { createNodeHttpClient } from './node-http-client.ts'

/** Answers by path; raw header arrays keep case and repeats as sent. */
function answer(path: string, res: ServerResponse): void {
  switch (path) {
    case '/fields':
      res.writeHead(200, [
        'Connection', 'keep-alive, X-Private',
        'Keep-Alive', 'timeout=5',
        'X-Private', 'secret',
        'X-Kept', 'yes',
        'Set-Cookie', 'a=1',
        'Set-Cookie', 'b=2',
        'Constructor', 'c',
        'CONTENT-LENGTH', '2',
        'Content-Typo', 'near miss of a common name',
      ])
      res.end('ok')
      return
    case '/big': {
      const chunk = Buffer.alloc(64 * 1024, 7)
      res.writeHead(200, { 'content-length': String(chunk.length * 4) })
      for (let i = 0; i < 4; i++) res.write(chunk)
      res.end()
      return
    }
    case '/chunked':
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('a')
      setTimeout(() => res.end('b'), 20)
      return
    case '/slow':
      setTimeout(() => res.end('late'), 2000).unref()
      return
    default:
      res.writeHead(204).end()
  }
}

describe('the Node egress client (undici dispatch)', () => {
  let server: Server
  let origin: string
  const http = createNodeHttpClient()
  const call = (path: string, extra: Partial<UpstreamRequest> = {}) =>
    http({ origin, path, method: 'GET', headers: FieldList.empty(), body: null, timeoutMs: 5000, ...extra })

  beforeAll(async () => {
    server = createServer((req, res) => answer(req.url ?? '/', res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  afterAll(async () => {
    await http.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('gives the end-to-end fields only, names in lower case, repeats as arrays, names of Object members as plain fields', async () => {
    const res = await call('/fields')
    expect(res.status).toBe(200)
    expect(res.fields).toEqual({
      'x-kept': 'yes',
      'set-cookie': ['a=1', 'b=2'],
      constructor: 'c',
      'content-length': '2',
      'content-typo': 'near miss of a common name',
      date: expect.any(String),
    })
    expect(Object.hasOwn(res.fields!, 'constructor')).toBe(true)
    expect(new TextDecoder().decode(res.body as Uint8Array)).toBe('ok')
    expect(res.headers.get('x-private')).toBeNull()
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
  })

  it('reads a small body whole and streams a large or unsized one', async () => {
    const big = await call('/big')
    expect(big.body).toBeInstanceOf(ReadableStream)
    expect((await new Response(big.body as ReadableStream).arrayBuffer()).byteLength).toBe(256 * 1024)
    const chunked = await call('/chunked')
    expect(chunked.body).toBeInstanceOf(ReadableStream)
    expect(await new Response(chunked.body as ReadableStream).text()).toBe('ab')
    const none = await call('/nothing')
    expect(none.status).toBe(204)
    expect(none.body).toBeNull()
  })

  it('answers TIMEOUT when the headers take longer than timeoutMs', async () => {
    const err = await call('/slow', { timeoutMs: 100 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GatewayError)
    expect((err as GatewayError).code).toBe('TIMEOUT')
  })

  it('abandons the call with CANCELED when the client goes away', async () => {
    let leave: (() => void) | undefined
    const pending = call('/slow', { onClientGone: (listener) => (leave = listener) })
    setTimeout(() => leave?.(), 50)
    const err = await pending.catch((e: unknown) => e)
    expect((err as GatewayError).code).toBe('CANCELED')
  })

  it('answers UNAVAILABLE when the origin refuses the connection', async () => {
    const err = await http({ origin: 'http://127.0.0.1:9', path: '/', method: 'GET', headers: FieldList.empty(), body: null, timeoutMs: 1000 }).catch(
      (e: unknown) => e,
    )
    expect((err as GatewayError).code).toBe('UNAVAILABLE')
  })
})
