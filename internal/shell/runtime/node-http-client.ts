import { Readable } from 'node:stream'
import { Pool } from 'undici'
import type { Dispatcher } from 'undici'
import { GatewayError } from '../errors.ts'
import type { HttpExchange, UpstreamRequest } from '../http-client.ts'

/** Responses at most this large (by content-length) are read whole: no stream machinery per request. */
const SMALL_BODY_BYTES = 64 * 1024

/**
 * The Node egress client: one undici keep-alive Pool per upstream origin. Measured on this
 * VM, undici's Pool.request is ~3.5x faster than Node 20's global fetch for proxying.
 */
export function createNodeHttpClient(options: { connectionsPerOrigin?: number } = {}): HttpExchange & {
  close(): Promise<void>
} {
  const pools = new Map<string, Pool>()
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin)
    if (!pool) {
      pool = new Pool(origin, {
        connections: options.connectionsPerOrigin ?? 256,
        keepAliveTimeout: 4_000,
        headersTimeout: 0, // the caller's signal bounds the wait
        bodyTimeout: 0,
      })
      pools.set(origin, pool)
    }
    return pool
  }

  const exchange = async (req: UpstreamRequest): Promise<Response> => {
    const url = new URL(req.url)
    const headers: string[] = []
    req.headers.forEach((value, name) => {
      headers.push(name, value)
    })
    let res: Dispatcher.ResponseData
    try {
      res = await poolFor(url.origin).request({
        path: url.pathname + url.search,
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body: req.body ? Readable.fromWeb(req.body as import('node:stream/web').ReadableStream) : null,
        signal: req.signal,
      })
    } catch (err) {
      throw toEgressError(err, req.signal)
    }
    const responseHeaders = new Headers()
    for (const [name, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v)
      else if (value !== undefined) responseHeaders.set(name, value)
    }
    const noBody = req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304
    const length = Number(res.headers['content-length'] ?? NaN)
    if (noBody) {
      res.body.resume()
      return new Response(null, { status: res.statusCode, headers: responseHeaders })
    }
    if (length <= SMALL_BODY_BYTES) {
      const body = new Uint8Array(await res.body.arrayBuffer().catch((err: unknown) => {
        throw toEgressError(err, req.signal)
      }))
      return new Response(body, { status: res.statusCode, headers: responseHeaders })
    }
    return new Response(Readable.toWeb(res.body) as ReadableStream<Uint8Array>, {
      status: res.statusCode,
      headers: responseHeaders,
    })
  }

  return Object.assign(exchange, {
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close()))
      pools.clear()
    },
  })
}

function toEgressError(err: unknown, signal: AbortSignal): GatewayError {
  if (signal.aborted && signal.reason instanceof GatewayError) return signal.reason
  const code = (err as { code?: string }).code ?? 'ERR'
  return new GatewayError('UNAVAILABLE', `upstream connection failed (${code})`, { cause: err })
}
