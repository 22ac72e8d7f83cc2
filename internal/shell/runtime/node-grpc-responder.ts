import { constants } from 'node:http2'
import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2'
import { canonicalGrpcMessage, encodeGrpcMessage, fromGrpcWebContentType, GRPC, statusOfNonGrpcResponse } from './grpc-web-bridge.ts'
import { createGrpcWebDeframer } from './grpc-web-frames.ts'
import { drained, responseHeaders } from './node-h2-stream.ts'

/** Answers one gRPC call: a relayed gRPC-web stream, or a status alone; whichever comes first wins. */
export function grpcResponder(stream: ServerHttp2Stream, requestContentType: string) {
  const contentType = requestContentType.toLowerCase().startsWith('application/grpc+') ? requestContentType : 'application/grpc+proto'
  let done = false
  let pendingTrailers: OutgoingHttpHeaders | undefined

  /** Ends the call with `code`: trailers-only before headers, trailers after. */
  const status = (code: number, message: string) => {
    if (done || stream.closed || stream.destroyed) return
    done = true
    const trailers = { 'grpc-status': String(code), ...(message ? { 'grpc-message': encodeGrpcMessage(message) } : {}) }
    if (!stream.headersSent) {
      stream.respond({ ':status': 200, 'content-type': contentType, ...trailers }, { endStream: true })
      return
    }
    pendingTrailers = trailers
    stream.end()
  }

  const relay = async (response: Response, signal: AbortSignal): Promise<void> => {
    const type = fromGrpcWebContentType(response.headers.get('content-type'))
    if (type === undefined || response.status !== 200 || response.headers.has('grpc-status') || response.body === null) {
      const { code, message } = await statusOfNonGrpcResponse(response)
      if (done || stream.closed) return
      stream.respond({ ':status': 200, 'content-type': contentType, ...responseHeaders(without(response.headers, 'content-type')), 'grpc-status': String(code), ...(message ? { 'grpc-message': encodeGrpcMessage(message) } : {}) }, { endStream: true })
      done = true
      return
    }
    stream.respond({ ...responseHeaders(response.headers), ':status': 200, 'content-type': type }, { waitForTrailers: true })
    stream.on('wantTrailers', () => {
      if (pendingTrailers) stream.sendTrailers(pendingTrailers)
      else stream.close(constants.NGHTTP2_NO_ERROR)
    })
    const deframer = createGrpcWebDeframer()
    const reader = response.body.getReader()
    signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true })
    try {
      for (;;) {
        const { done: ended, value } = await reader.read()
        if (ended || done) break
        for (const part of deframer.push(value)) {
          if (!stream.write(part)) await drained(stream)
        }
      }
    } catch {
      if (!signal.aborted) status(GRPC.UNAVAILABLE, 'upstream stream broke off')
      return
    }
    const trailers = deframer.trailers
    if (trailers?.['grpc-status'] === undefined) {
      status(GRPC.INTERNAL, 'upstream response ended without a status')
      return
    }
    if (done || stream.closed) return
    done = true
    const message = trailers['grpc-message']
    pendingTrailers = message === undefined ? trailers : { ...trailers, 'grpc-message': canonicalGrpcMessage(message) }
    stream.end()
  }

  return { status, relay }
}

function without(headers: Headers, name: string): Headers {
  const copy = new Headers(headers)
  copy.delete(name)
  return copy
}

