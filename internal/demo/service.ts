import type { Hono } from 'hono'
import { GatewayError } from '../shell/errors.ts'
import type { ShellEnv } from '../shell/env.ts'

interface Item {
  id: string
  name: string
  price: number
}

const MAX_DELAY_MS = 60_000
const MAX_BYTES = 8 * 1024 ** 3

/**
 * A small HTTP service the shipped bundle routes to, so `npm start` has something real behind
 * the gateway: an in-memory item store plus echo, delay, byte-stream and upload-count endpoints
 * that make the gateway's behaviour (headers, timeouts, streaming) visible with curl.
 */
export function mountDemoService(app: Hono<ShellEnv>): void {
  const items = new Map<string, Item>([
    ['1', { id: '1', name: 'anvil', price: 120 }],
    ['2', { id: '2', name: 'rope', price: 8 }],
    ['42', { id: '42', name: 'towel', price: 5 }],
  ])
  let nextId = 100

  app.get('/v1/items', (c) => c.json({ items: [...items.values()] }))
  app.get('/v1/items/:id', (c) => {
    const item = items.get(c.req.param('id'))
    if (!item) throw new GatewayError('NOT_FOUND', `item "${c.req.param('id')}" not found`)
    return c.json(item)
  })
  app.post('/v1/items', async (c) => {
    const body = await c.req.json<Partial<Item>>().catch(() => undefined)
    if (!body || typeof body.name !== 'string' || typeof body.price !== 'number') {
      throw new GatewayError('INVALID_ARGUMENT', 'expected JSON {"name": string, "price": number}')
    }
    const item = { id: String(nextId++), name: body.name, price: body.price }
    items.set(item.id, item)
    return c.json(item, 201)
  })

  /** What the service received: method, path, query and headers. */
  app.all('/demo/echo/*', (c) =>
    c.json({
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      query: Object.fromEntries(new URL(c.req.url).searchParams),
      headers: Object.fromEntries(c.req.raw.headers),
    }),
  )
  /** Answers after `ms` milliseconds. */
  app.get('/demo/delay/:ms', async (c) => {
    const ms = Math.min(Number(c.req.param('ms')) || 0, MAX_DELAY_MS)
    await new Promise((resolve) => setTimeout(resolve, ms))
    return c.json({ delayedMs: ms })
  })
  /** Streams `n` bytes (zeros) in 64 KiB chunks, never holding more than one chunk. */
  app.get('/demo/bytes/:n', (c) => {
    let left = Math.min(Number(c.req.param('n')) || 0, MAX_BYTES)
    const chunk = new Uint8Array(64 * 1024)
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (left <= 0) return controller.close()
        const n = Math.min(left, chunk.length)
        left -= n
        controller.enqueue(n === chunk.length ? chunk.slice() : chunk.slice(0, n))
      },
    })
    return c.body(body, 200, { 'content-type': 'application/octet-stream', 'content-length': String(left) })
  })
  /** Consumes an upload as a stream and reports its size and the sum of its bytes (an exact checksum). */
  app.post('/demo/upload', async (c) => {
    let bytes = 0
    let sum = 0
    const body = c.req.raw.body
    if (body) {
      for await (const chunk of body) {
        bytes += chunk.length
        let chunkSum = 0
        for (let i = 0; i < chunk.length; i++) chunkSum += chunk[i] as number
        sum += chunkSum
      }
    }
    return c.json({ bytes, sum })
  })
}
