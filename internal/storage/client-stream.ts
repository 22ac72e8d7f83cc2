import { Code, ConnectError } from '@connectrpc/connect'
import { invalidArgument } from './errors.ts'
import { MAX_CHUNK_BYTES } from './names.ts'

/**
 * Reading the client streams of PutObject and WriteUpload: a header, then chunks.
 *
 * Two transport facts shape this (observed with connect-node 2.2.0 on Node 20): when a Node.js
 * client cancels a client stream over HTTP/2, the handler first sees a clean end of the stream,
 * and the context's signal aborts (CANCEL) a millisecond or so later; and with the in-memory
 * router transport the request iterable may never settle after a client abort. So every read
 * races the context's signal, and callers check the signal again before making anything visible.
 */

type Content<H> =
  | { case: 'header'; value: H }
  | { case: 'chunk'; value: Uint8Array }
  | { case: undefined; value?: undefined }

export interface ChunkStream<H> {
  readonly header: H
  /** The chunks after the header, each checked (1 byte to 1 MiB, no second header). */
  readonly chunks: AsyncIterable<Uint8Array>
}

const breaks = new WeakSet<object>()

/** True for a stream that broke (client gone, canceled, deadline) rather than one that carried bad input. */
export const isStreamBreak = (e: unknown): boolean => typeof e === 'object' && e !== null && breaks.has(e)

/** Codes the transport uses for bad input (malformed protobuf, too large): not a broken stream. */
const BAD_INPUT = new Set([Code.InvalidArgument, Code.ResourceExhausted, Code.Unimplemented, Code.OutOfRange])

function broken(reason: unknown, code: Code): ConnectError {
  const err = ConnectError.from(reason, code)
  // connect-es reports a message it cannot decode as INTERNAL "parse binary: ..."; it is bad input.
  if (err.code === Code.Internal && /^parse (binary|JSON)/.test(err.rawMessage)) {
    const message = `malformed request message: ${err.rawMessage}`
    return new ConnectError(message, Code.InvalidArgument, undefined, undefined, err)
  }
  if (!BAD_INPUT.has(err.code)) breaks.add(err)
  return err
}

/** Reads the header, then hands out the chunks. INVALID_ARGUMENT for a missing or repeated header. */
export async function openChunkStream<H>(
  requests: AsyncIterable<{ content: Content<H> }>,
  signal: AbortSignal,
  rpc: string,
): Promise<ChunkStream<H>> {
  const messages = untilAborted(requests, signal)
  const first = await messages.next()
  if (first.done) throw invalidArgument(`${rpc}: the stream is empty; the first message must be a header`)
  if (first.value.content.case !== 'header') {
    throw invalidArgument(`${rpc}: message 1 must be a header, got ${describe(first.value.content)}`)
  }
  return { header: first.value.content.value, chunks: chunksOf(messages, rpc) }
}

async function* chunksOf<H>(messages: AsyncGenerator<{ content: Content<H> }>, rpc: string) {
  let n = 1
  try {
    for await (const { content } of messages) {
      n++
      const fail = (why: string) => invalidArgument(`${rpc}: ${why}`)
      if (content.case !== 'chunk') throw fail(`message ${n} must be a chunk, got ${describe(content)}`)
      const size = content.value.length
      if (size === 0) throw fail(`message ${n} is an empty chunk (1 to ${MAX_CHUNK_BYTES} bytes)`)
      if (size > MAX_CHUNK_BYTES) {
        throw fail(`chunk of ${size} bytes in message ${n} exceeds the limit of ${MAX_CHUNK_BYTES} bytes`)
      }
      yield content.value
    }
  } finally {
    await messages.return(undefined)
  }
}

const describe = (c: Content<unknown>) =>
  c.case === 'header' ? 'a second header' : c.case === 'chunk' ? 'a chunk' : 'an empty message'

/** The source's messages until the signal aborts; errors are marked as breaks unless they are bad input. */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]()
  let finished = false
  try {
    for (;;) {
      const r = await nextOrAbort(it, signal)
      if (r.done) {
        finished = true
        return
      }
      yield r.value
    }
  } finally {
    // Never awaited: a source stuck in next() would keep return() pending forever.
    if (!finished) it.return?.()?.catch(() => {})
  }
}

/**
 * One read, raced against the signal with a listener that is removed afterwards. (Promise.race
 * against one long-lived "aborted" promise would keep every message reachable until the end.)
 */
function nextOrAbort<T>(it: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(broken(signal.reason ?? 'the client stream was canceled', Code.Canceled))
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    it.next().then(
      (r) => {
        signal.removeEventListener('abort', onAbort)
        resolve(r)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(broken(e, Code.Unknown))
      },
    )
  })
}
