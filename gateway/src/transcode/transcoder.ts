import type { DescMethodStreaming, DescMethodUnary, Message, Registry } from '@bufbuild/protobuf'
import type { Transport } from '@connectrpc/connect'
import type { GatewayMiddleware } from '../env.ts'
import type { HttpBinding } from './http-rules.ts'
import { DEFAULT_MAX_BODY_BYTES } from './read-body.ts'
import { PROTO_REGISTRY } from './registry.ts'
import { buildRequest, buildRequestStream, planRequest } from './request-message.ts'
import type { HttpRequestParts } from './request-message.ts'
import { planResponse, unaryResponse } from './response-body.ts'
import { rpcProblem, rpcProblemResponse } from './rpc-problem.ts'
import { streamFormat, streamResponse } from './stream-response.ts'
import { rpcHeaders } from './upstream-headers.ts'
import { requestStreamOf } from '../request-body.ts'

export interface TranscoderOptions {
  /** A Connect transport to the upstream service (Connect, gRPC or gRPC-web protocol). */
  readonly transport: Transport
  /** The call's deadline, sent upstream; 0 or undefined: none. Bounds a whole stream too. */
  readonly timeoutMs?: number | undefined
  /** The bound of a buffered request body (JSON, raw unary); default 4 MiB. Raw client streams are not buffered. */
  readonly maxBodyBytes?: number | undefined
  /** How long a JSON-framed server stream may hold its status line for the first message; default 1000 ms. */
  readonly streamHeadWaitMs?: number | undefined
  /** Messages known for JSON of `Any` and error details; default: every compiled proto file. */
  readonly registry?: Registry | undefined
}

/**
 * The terminal handler of one HTTP binding of an RPC method: builds the request message from
 * the route's path variables, query and body, calls the method through the transport with the
 * policies' upstream headers and the route timeout, and writes the answer as proto3 JSON, raw
 * bytes, NDJSON or Server-Sent Events. Request problems are thrown as GatewayErrors (4xx);
 * upstream failures answer problem+json with the status of Connect's code table.
 */
export function createTranscoder(binding: HttpBinding, options: TranscoderOptions): GatewayMiddleware {
  const { transport } = options
  const timeoutMs = options.timeoutMs || undefined
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const headWaitMs = options.streamHeadWaitMs ?? 1000
  if (!(maxBodyBytes >= 1)) throw new TypeError(`maxBodyBytes must be >= 1, got ${maxBodyBytes}`)
  if (!((timeoutMs ?? 0) >= 0)) throw new TypeError(`timeoutMs must be >= 0, got ${timeoutMs}`)
  const registry = options.registry ?? PROTO_REGISTRY
  const request = planRequest(binding)
  const response = planResponse(binding, registry)
  const method = binding.method
  const kind = method.methodKind

  return async function transcode(c) {
    const parts: HttpRequestParts = { params: c.get('params'), query: queryOf(c.req.url), request: c.req.raw, body: requestStreamOf(c), maxBodyBytes }
    // Request errors (400, 413) are thrown before anything is sent upstream.
    const input = kind === 'client_streaming' ? await buildRequestStream(request, parts) : await buildRequest(request, parts)
    const abort = new AbortController()
    c.env?.onClientGone?.(() => abort.abort())
    const headers = rpcHeaders(c.get('upstreamHeaders'))
    const head = c.req.method === 'HEAD'
    const fail = (err: unknown) => {
      const problem = rpcProblem(err, c.get('requestId'), registry)
      c.set('error', problem.error)
      return problem
    }
    try {
      if (kind === 'unary') {
        const res = await transport.unary(method as DescMethodUnary, abort.signal, timeoutMs, headers, input as Message)
        return unaryResponse(response, res.message, head)
      }
      const stream = method as DescMethodStreaming
      const messages = kind === 'client_streaming' ? (input as AsyncIterable<Message>) : once(input as Message)
      const res = await transport.stream(stream, abort.signal, timeoutMs, headers, messages)
      if (kind === 'client_streaming') {
        let last: Message | undefined
        for await (const message of res.message) last = message
        if (!last) throw new Error('the upstream closed a client stream without a response')
        return unaryResponse(response, last, head)
      }
      const streamed = await streamResponse(response, res.message, {
        format: streamFormat(c.req.header('accept')),
        headWaitMs,
        problem: (err) => fail(err).document,
        cancel: () => abort.abort(),
      })
      if (!head) return streamed
      await streamed.body?.cancel() // HEAD: the status and headers of the first message, no body
      return new Response(null, { status: streamed.status, headers: streamed.headers })
    } catch (err) {
      abort.abort()
      return rpcProblemResponse(fail(err))
    }
  }
}

async function* once(message: Message): AsyncIterable<Message> {
  yield message
}

function queryOf(url: string): URLSearchParams {
  const q = url.indexOf('?')
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1))
}
