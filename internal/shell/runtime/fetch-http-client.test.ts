import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FieldList } from '../field-list.ts'
import { GatewayError } from '../errors.ts'
import { whenAborted } from './client-gone.ts'
import { createFetchHttpClient } from './fetch-http-client.ts'
import { CoarseTimers, runtimeTimeouts } from '../coarse-timers.ts'

/** An upstream answering after `?delay=` ms; `/headers` echoes the request's headers with hop-by-hop ones of its own. */
const server = createServer((req, res) => {
  if (req.url === '/headers' || req.url === '/cookies') {
    const cookies = req.url === '/cookies' ? ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'] : []
    res.writeHead(200, ['Connection', 'keep-alive, X-Private', 'X-Private', 'no', 'X-Kept', 'yes', 'Content-Type', 'application/json', ...cookies])
    res.end(JSON.stringify(req.headers))
    return
  }
  const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0)
  setTimeout(() => res.end('ok'), delay)
})
let origin = ''
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.closeAllConnections()
  return new Promise<void>((resolve) => server.close(() => resolve()))
})

describe.each([
  ['runtime timers (Bun)', runtimeTimeouts],
  ['CoarseTimers (Deno)', new CoarseTimers(10)],
])('createFetchHttpClient with %s (run here on Node fetch)', (_name, timeouts) => {
  const exchange = createFetchHttpClient({}, { timeouts })
  const request = (path: string, timeoutMs: number, onClientGone?: (listener: () => void) => void) =>
    exchange({ origin, path, method: 'GET', headers: FieldList.empty(), body: null, timeoutMs, onClientGone })

  it('does not watch for the client leaving while the upstream answers quickly', async () => {
    let watched = 0
    const res = await request('/?delay=0', 5000, () => void watched++)
    expect(res.status).toBe(200)
    expect(watched).toBe(0)
  })

  it('watches a request still waiting after ~100 ms, and abandons it (CANCELED) when the client has gone', async () => {
    const client = new AbortController()
    setTimeout(() => client.abort(), 20) // gone before the watcher is even registered
    const started = Date.now()
    const err = await request('/?delay=3000', 5000, (listener) => whenAborted(client.signal, listener)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GatewayError)
    expect((err as GatewayError).code).toBe('CANCELED')
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('still times out at the route timeout, before and after the watcher starts', async () => {
    for (const timeoutMs of [50, 300]) {
      const started = Date.now()
      const err = await request('/?delay=3000', timeoutMs, () => {}).catch((e: unknown) => e)
      expect((err as GatewayError).code).toBe('TIMEOUT')
      expect(Date.now() - started).toBeGreaterThanOrEqual(timeoutMs - 5)
      expect(Date.now() - started).toBeLessThan(timeoutMs + 1000)
    }
  })
})

describe('whenAborted', () => {
  it('runs the listener once on abort, or at once when already aborted', () => {
    const calls: string[] = []
    const live = new AbortController()
    whenAborted(live.signal, () => calls.push('later'))
    const gone = new AbortController()
    gone.abort()
    whenAborted(gone.signal, () => calls.push('now'))
    expect(calls).toEqual(['now'])
    live.abort()
    live.abort()
    expect(calls).toEqual(['now', 'later'])
  })
})

describe('createFetchHttpClient with header records (Deno)', () => {
  const exchange = createFetchHttpClient({}, { headerRecords: true })
  const headers = () => {
    const list = FieldList.empty()
    list.append('x-one', 'a')
    list.append('x-one', 'b')
    list.append('accept', 'text/plain')
    return list
  }

  it('sends request fields as a record (repeats joined) and returns the end-to-end answer as fields', async () => {
    const res = await exchange({ origin, path: '/headers', method: 'GET', headers: headers(), body: null, timeoutMs: 5000 })
    expect(res.fields).toMatchObject({ 'x-kept': 'yes', 'content-type': 'application/json' })
    expect(res.fields?.['x-private']).toBeUndefined()
    expect(res.fields?.connection).toBeUndefined()
    expect(res.headers.get('x-kept')).toBe('yes')
    const seen = JSON.parse(await new Response(res.body as ReadableStream).text()) as Record<string, string>
    expect(seen['x-one']).toBe('a, b')
    expect(seen.accept).toBe('text/plain')
  })

  it('falls back to a Headers copy when a field repeats (two Set-Cookie values)', async () => {
    const res = await exchange({ origin, path: '/cookies', method: 'GET', headers: headers(), body: null, timeoutMs: 5000 })
    expect(res.fields).toBeUndefined()
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    await (res.body as ReadableStream).cancel()
  })
})
