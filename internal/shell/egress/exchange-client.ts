import { create, fromBinary, isMessage, toBinary } from '@bufbuild/protobuf'
import type { DescMessage, DescMethodUnary, JsonValue, MessageInitShape } from '@bufbuild/protobuf'
import type { Transport, UnaryResponse } from '@connectrpc/connect'
import { Code, ConnectError } from '@connectrpc/connect'
import { codeFromHttpStatus, codeFromString, createTransport, errorFromJson, requestHeader, trailerDemux, trailerMux } from '@connectrpc/connect/protocol-connect'
import type { UniversalClientFn, UniversalClientRequest } from '@connectrpc/connect/protocol'
import { CODE_INFO, GatewayError } from '../errors.ts'
import type { HttpExchange } from '../http-client.ts'

/** No time limit of its own: the call's deadline aborts the request through its signal. */
const NO_HEADERS_TIMEOUT_MS = 2 ** 31 - 1
const MAX_MESSAGE_BYTES = 0xffffffff

/** The exchange's failure (UNAVAILABLE, TIMEOUT, CANCELED) as Connect sees it, the original kept as cause. */
function fromExchangeError(err: GatewayError): ConnectError {
  return new ConnectError(err.message, codeFromString(CODE_INFO[err.code].connect) ?? Code.Unavailable, undefined, undefined, err)
}

/**
 * Connect's HTTP client contract over the runtime's HTTP exchange (Node: undici keep-alive
 * pools; Bun and Deno: fetch), so that calls between nodes cost what the edge proxy costs
 * rather than Node's http.request per call. Failures become ConnectErrors whose cause keeps
 * the exchange's error (the egress client reads refused connections from that chain).
 */
export function exchangeClient(http: HttpExchange): UniversalClientFn {
  return async function exchange(req: UniversalClientRequest) {
    const url = new URL(req.url)
    const { signal } = req
    // Connect aborts a call's signal when the call is over, also after a complete answer: only an
    // abort while the exchange is still running may cancel it (undici would build an error each time).
    let over = false
    let cancel: (() => void) | undefined
    const onAbort = () => {
      if (!over) cancel?.()
    }
    const finish = () => {
      over = true
      signal?.removeEventListener('abort', onAbort)
    }
    try {
      const res = await http({
        origin: url.origin,
        path: url.pathname + url.search,
        method: req.method,
        headers: req.header,
        body: req.body ? await bodyOf(req.body) : null,
        timeoutMs: NO_HEADERS_TIMEOUT_MS,
        onClientGone: signal
          ? (listener) => {
              cancel = listener
              if (signal.aborted) queueMicrotask(listener)
              else signal.addEventListener('abort', onAbort, { once: true })
            }
          : undefined,
      })
      if (!(res.body instanceof ReadableStream)) finish()
      return { status: res.status, header: res.headers, body: iterate(res.body, finish), trailer: new Headers() }
    } catch (err) {
      finish()
      if (signal?.aborted) throw ConnectError.from(signal.reason, Code.Canceled)
      if (err instanceof GatewayError) throw fromExchangeError(err)
      throw err
    }
  }
}

/**
 * A Connect transport (binary Connect protocol) to `baseUrl` over the runtime's HTTP exchange.
 * Unary calls take a direct path — one POST of the binary message, the answer decoded whole —
 * because connect-es's general machinery (async-iterable pipes, linked abort signals) costs
 * more per call than the HTTP exchange itself; streams use that machinery as they need it.
 */
export function createExchangeTransport(http: HttpExchange, baseUrl: string): Transport {
  const streaming = createTransport({
    httpClient: exchangeClient(http),
    baseUrl,
    useBinaryFormat: true,
    interceptors: [],
    acceptCompression: [],
    sendCompression: null,
    compressMinBytes: 1024,
    readMaxBytes: MAX_MESSAGE_BYTES,
    writeMaxBytes: MAX_MESSAGE_BYTES,
  })
  const base = new URL(baseUrl)
  const prefix = base.pathname.replace(/\/$/, '')
  return {
    unary: (method, signal, timeoutMs, header, input) => unaryCall(http, base.origin, prefix, method, signal, timeoutMs, header, input),
    stream: (...args) => streaming.stream(...args),
  }
}

async function unaryCall<I extends DescMessage, O extends DescMessage>(
  http: HttpExchange,
  origin: string,
  prefix: string,
  method: DescMethodUnary<I, O>,
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  header: HeadersInit | undefined,
  input: MessageInitShape<I>,
): Promise<UnaryResponse<I, O>> {
  if (signal?.aborted) throw ConnectError.from(signal.reason, Code.Canceled)
  if (timeoutMs !== undefined && timeoutMs <= 0) throw new ConnectError('the operation timed out', Code.DeadlineExceeded)
  const headers = requestHeader(method.methodKind, true, timeoutMs, header, false)
  const body = toBinary(method.input, isMessage(input, method.input) ? input : create(method.input, input as MessageInitShape<I>))
  let expired = false
  let cancel: (() => void) | undefined
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => ((expired = true), cancel?.()), timeoutMs)
  const onAbort = () => cancel?.()
  try {
    const res = await http({
      origin,
      path: `${prefix}/${method.parent.typeName}/${method.name}`,
      method: 'POST',
      headers,
      body,
      timeoutMs: NO_HEADERS_TIMEOUT_MS,
      onClientGone: (listener) => {
        cancel = listener
        signal?.addEventListener('abort', onAbort, { once: true })
      },
    })
    const bytes = await bytesOf(res.body)
    const [responseHeader, trailer] = trailerDemux(res.headers)
    if (res.status !== 200) {
      const fallback = new ConnectError(`HTTP ${res.status}`, codeFromHttpStatus(res.status), responseHeader)
      let json: JsonValue | undefined
      try {
        json = JSON.parse(new TextDecoder().decode(bytes)) as JsonValue
      } catch {
        throw fallback
      }
      throw errorFromJson(json, trailerMux(responseHeader, trailer), fallback)
    }
    const type = responseHeader.get('content-type')
    if (type !== 'application/proto') throw new ConnectError(`unexpected content-type "${type ?? ''}"`, Code.Internal)
    return { stream: false, service: method.parent, method, header: responseHeader, message: fromBinary(method.output, bytes), trailer }
  } catch (err) {
    if (expired) throw new ConnectError('the operation timed out', Code.DeadlineExceeded, undefined, undefined, err)
    if (signal?.aborted) throw ConnectError.from(signal.reason, Code.Canceled)
    if (err instanceof GatewayError) throw fromExchangeError(err)
    throw err
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

async function bytesOf(body: ReadableStream<Uint8Array> | Uint8Array | null): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0)
  if (body instanceof Uint8Array) return body
  return new Uint8Array(await new Response(body).arrayBuffer())
}

/**
 * A unary request body is one chunk: sent as bytes, no stream machinery. Anything longer (a
 * client stream) is streamed as it is produced.
 */
async function bodyOf(body: AsyncIterable<Uint8Array>): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  const it = body[Symbol.asyncIterator]()
  const first = await it.next()
  if (first.done) return new Uint8Array(0)
  const second = await it.next()
  if (second.done) return first.value
  const pending = [first.value, second.value]
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = pending.shift()
      if (next !== undefined) return controller.enqueue(next)
      const r = await it.next()
      if (r.done) controller.close()
      else controller.enqueue(r.value)
    },
    async cancel(reason) {
      await it.throw?.(reason)
    },
  })
}

/** The response body as Connect reads it; `finish` once a streamed body has ended. */
async function* iterate(body: ReadableStream<Uint8Array> | Uint8Array | null, finish: () => void): AsyncIterable<Uint8Array> {
  if (body === null) return
  if (body instanceof Uint8Array) {
    yield body
    return
  }
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    finish()
    reader.releaseLock()
  }
}
