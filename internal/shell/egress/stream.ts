import type { DescMessage } from '@bufbuild/protobuf'
import type { StreamRequest, StreamResponse } from '@connectrpc/connect'
import { Code, ConnectError } from '@connectrpc/connect'
import { createAsyncIterable } from '@connectrpc/connect/protocol'
import { runAttempts } from './attempts.ts'
import type { Upstream } from './upstream.ts'

/**
 * Streams. A server stream has one request message, kept so it can be sent again: until its
 * first response message (or its clean end) arrives, the call is retried and NOT_LEADER followed
 * exactly like a unary call. From the first message on, the stream is the caller's: an error
 * mid-stream is the caller's error (resume with the method's own means, e.g. GetObject's
 * `offset` + `if_generation_match`, or WatchRecords from the last revision). Client and bidi
 * streams send the caller's iterable, which cannot be replayed: one attempt, no retry.
 * A stream counts as in flight (least-request balancing) until it ends or is aborted.
 */

export function serverStream<I extends DescMessage, O extends DescMessage>(
  up: Upstream,
  req: StreamRequest<I, O>,
  deadline: number | undefined,
): Promise<StreamResponse<I, O>> {
  const { method, signal } = req
  return only(req.message).then((input) =>
    runAttempts(up, { method, signal, deadline, replayable: true }, async (transport, timeoutMs, end) => {
      const res = await transport.stream(method, signal, timeoutMs, req.header, createAsyncIterable([input]), req.contextValues)
      const it = res.message[Symbol.asyncIterator]()
      const head = await it.next() // an error here: nothing reached the caller yet, the attempt may be retried
      return { ...res, message: resume(head, it, end, signal) }
    }),
  )
}

export function unreplayableStream<I extends DescMessage, O extends DescMessage>(
  up: Upstream,
  req: StreamRequest<I, O>,
  deadline: number | undefined,
): Promise<StreamResponse<I, O>> {
  const { method, signal } = req
  return runAttempts(up, { method, signal, deadline, replayable: false }, async (transport, timeoutMs, end) => {
    const res = await transport.stream(method, signal, timeoutMs, req.header, req.message, req.contextValues)
    const it = res.message[Symbol.asyncIterator]()
    return { ...res, message: resume(undefined, it, end, signal) }
  })
}

async function only<T>(messages: AsyncIterable<T>): Promise<T> {
  for await (const m of messages) return m
  throw new ConnectError('a server-streaming call needs one request message', Code.InvalidArgument)
}

/** The response messages (the first one already read, if given); `end` once they end, fail or the call is aborted. */
function resume<T>(head: IteratorResult<T> | undefined, it: AsyncIterator<T>, end: () => void, signal: AbortSignal): AsyncIterable<T> {
  if (head?.done) {
    end()
    return createAsyncIterable<T>([])
  }
  signal.addEventListener('abort', end, { once: true })
  return (async function* () {
    try {
      if (head) yield head.value
      for (;;) {
        const r = await it.next()
        if (r.done) return
        yield r.value
      }
    } finally {
      end()
    }
  })()
}
