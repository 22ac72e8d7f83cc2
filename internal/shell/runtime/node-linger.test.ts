import { Agent, createServer, request } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { lingerAfterResponse } from './node-linger.ts'
import type { LingerLimits } from './node-linger.ts'

// A real node:http server that answers before reading the body (as a refusal does), with
// lingerAfterResponse on 'finish' as the Node runtime sets it, and a real client uploading slowly.

let server: Server | undefined
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

async function listen(limits: LingerLimits, handle: (req: IncomingMessage, res: ServerResponse) => void = refuse): Promise<string> {
  server = createServer({ requestTimeout: 0, keepAliveTimeout: 5_000 }, (req, res) => {
    res.once('finish', () => lingerAfterResponse(req, limits))
    handle(req, res)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`
}

function refuse(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(403, { 'content-type': 'text/plain' }).end('no')
}

interface Upload {
  status?: number
  text: string
  error?: string
  /** The client wrote its whole body. */
  written: boolean
}

/** POSTs `pieces` pieces of `size` bytes, one every `everyMs`, and reports how the exchange ended. */
function upload(url: string, agent: Agent, pieces: number, size: number, everyMs: number): Promise<Upload> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-length': String(pieces * size) } })
    const out: Upload = { text: '', written: false }
    const timer = setTimeout(() => {
      out.error = 'not done within 10 s'
      req.destroy()
    }, 10_000)
    req.on('error', (err) => (out.error ??= err.message))
    req.on('response', (res) => {
      out.status = res.statusCode
      res.setEncoding('utf8').on('data', (d: string) => (out.text += d))
    })
    req.on('close', () => {
      clearTimeout(timer)
      clearInterval(more)
      out.written = req.writableFinished
      resolve(out)
    })
    req.flushHeaders()
    let sent = 0
    const more = setInterval(() => {
      if (req.destroyed) return
      sent++
      if (sent < pieces) req.write(Buffer.alloc(size, 97))
      else {
        clearInterval(more)
        req.end(Buffer.alloc(size, 97))
      }
    }, everyMs)
  })
}

const get = (url: string, agent: Agent) =>
  new Promise<number | undefined>((resolve, reject) => {
    request(url, { agent }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
    })
      .on('error', reject)
      .end()
  })

describe('lingerAfterResponse: an early answer, then the rest of the body read and dropped', () => {
  it('lets a slow upload answered at its headers finish, and keeps the connection for the next request', async () => {
    const url = await listen({ idleMs: 1_000, totalMs: 5_000, maxBytes: 1_000_000 })
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    // Ten pieces over ~800 ms: longer than @hono/node-server's 500 ms before it closes.
    const result = await upload(url, agent, 10, 10_000, 80)
    expect(result).toMatchObject({ status: 403, text: 'no', written: true })
    expect(result.error).toBeUndefined()
    let sockets = 0
    server!.on('connection', () => sockets++)
    expect(await get(url, agent)).toBe(403)
    expect(sockets).toBe(0) // the same connection served it
    agent.destroy()
  })

  it('takes over from a reader that stopped when the response went out', async () => {
    const url = await listen({ idleMs: 1_000, totalMs: 5_000, maxBytes: 1_000_000 }, (req, res) => {
      if (req.method === 'GET') return refuse(req, res)
      req.once('data', () => {
        req.pause()
        res.writeHead(413).end('too much')
      })
    })
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    let connections = 0
    server!.on('connection', () => connections++)
    const result = await upload(url, agent, 8, 10_000, 60)
    expect(result).toMatchObject({ status: 413, written: true })
    expect(result.error).toBeUndefined()
    // The body was read to its end: the connection serves the next request.
    expect(await get(url, agent)).toBe(403)
    expect(connections).toBe(1)
    agent.destroy()
  })

  it('closes the connection when the body pauses longer than idleMs', async () => {
    const url = await listen({ idleMs: 150, totalMs: 5_000, maxBytes: 1_000_000 })
    const agent = new Agent({ keepAlive: true })
    const started = Date.now()
    const result = await upload(url, agent, 3, 1_000, 600)
    expect(result.status).toBe(403)
    expect(result.written).toBe(false)
    expect(Date.now() - started).toBeLessThan(1_500) // closed at the first long pause, not after the upload
    agent.destroy()
  })

  it('closes the connection past maxBytes, and past totalMs however steadily the body comes', async () => {
    const url = await listen({ idleMs: 1_000, totalMs: 600, maxBytes: 25_000 })
    const agent = new Agent({ keepAlive: true })
    let connections = 0
    server!.on('connection', () => connections++)
    const big = await upload(url, agent, 40, 10_000, 20) // 400 KB over 800 ms
    expect(big.status).toBe(403)
    expect(big.written).toBe(false)
    const long = await upload(url, agent, 30, 100, 50) // 3 KB over 1.5 s
    expect(long.status).toBe(403)
    expect(long.written).toBe(false)
    expect(connections).toBe(2) // each closed: the second upload needed a connection of its own
    agent.destroy()
  })
})
