import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2'
import { constants } from 'node:http2'

/** HTTP/2 server streams <-> fetch Request/Response, for the gRPC ingress. */

/** Connection-level headers that HTTP/2 forbids in either direction, plus framing we recompute. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'content-length', 'host'])

/** The stream's request as a fetch Request: pseudo-headers out, `:authority` as `host`, body streamed. */
export function requestOf(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  o: { scheme: 'http' | 'https'; fallbackAuthority: string; contentType?: string | undefined; signal: AbortSignal },
): Request {
  const requestHeaders = new Headers()
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || NOT_FORWARDED.has(name) || value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) requestHeaders.append(name, v)
  }
  const authority = String(headers[':authority'] ?? o.fallbackAuthority)
  requestHeaders.set('host', authority)
  if (o.contentType !== undefined) requestHeaders.set('content-type', o.contentType)
  const method = String(headers[':method'] ?? 'GET')
  const hasBody = method !== 'GET' && method !== 'HEAD'
  return new Request(`${o.scheme}://${authority}${String(headers[':path'] ?? '/')}`, {
    method,
    headers: requestHeaders,
    body: hasBody ? requestBody(stream) : null,
    signal: o.signal,
    ...(hasBody ? { duplex: 'half' } : {}),
  } as RequestInit)
}

/**
 * The stream's request half as a ReadableStream. Not Readable.toWeb: on a duplex it waits for
 * the response half to finish too, so a request body would never end.
 */
function requestBody(stream: ServerHttp2Stream): ReadableStream<Uint8Array> {
  let ended = false
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        stream.on('data', (chunk: Buffer) => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
          if ((controller.desiredSize ?? 0) <= 0) stream.pause()
        })
        stream.once('end', () => {
          ended = true
          controller.close()
        })
        stream.once('close', () => {
          if (!ended) controller.error(new Error('client reset the stream'))
        })
      },
      pull() {
        stream.resume()
      },
      cancel() {
        ended = true
        stream.removeAllListeners('data')
        stream.resume() // discard the rest; the response half carries on
      },
    },
    new CountQueuingStrategy({ highWaterMark: 16 }),
  )
}

/** Response headers that may go on an HTTP/2 response. */
export function responseHeaders(headers: Headers): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  headers.forEach((value, name) => {
    if (!NOT_FORWARDED.has(name)) out[name] = value
  })
  return out
}

export function drained(stream: ServerHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
  })
}

export /** A plain HTTP/2 request (health checks, REST) answered as the app answered it. */
async function relayPlain(stream: ServerHttp2Stream, response: Response): Promise<void> {
  stream.respond({ ...responseHeaders(response.headers), ':status': response.status }, { endStream: response.body === null })
  if (response.body === null) return
  const reader = response.body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!stream.write(value)) await drained(stream)
    }
    stream.end()
  } catch {
    stream.close(constants.NGHTTP2_INTERNAL_ERROR)
  }
}
