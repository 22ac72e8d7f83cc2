import type { JsonValue, Message } from '@bufbuild/protobuf'
import type { ProblemDocument } from '../../../internal/shell/errors.ts'
import { entityHeaders } from './entity-headers.ts'
import { jsonPart, rawPart } from './response-body.ts'
import type { ResponsePlan } from './response-body.ts'

/**
 * A server stream as an HTTP response, written as messages arrive (pulled, so a slow client
 * slows the upstream instead of filling memory):
 * - Server-Sent Events (`Accept: text/event-stream`): `data: <json>` per message; a failure is a
 *   final `event: error` whose data is the problem document;
 * - NDJSON (`application/x-ndjson`, the default): `{"result": <json>}` per line; a failure is
 *   a final `{"error": <problem>}` line;
 * - raw bytes when the response (field) is `bytes` or google.api.HttpBody: the bytes in order;
 *   a failure after the first byte aborts the body, so the client sees a broken transfer.
 * An error before the first message (within `headWaitMs` for JSON framing) is thrown, so that
 * the caller answers with a plain problem response and its status.
 */

export type StreamFormat = 'sse' | 'ndjson'

export interface StreamResponseOptions {
  readonly format: StreamFormat
  /** How long to hold the status line for a first message of a JSON-framed stream. */
  readonly headWaitMs: number
  /** Renders a failure as a problem document (for the final error frame). */
  readonly problem: (err: unknown) => ProblemDocument
  /** Called when the client goes away: cancel the upstream call. */
  readonly cancel: () => void
}

export function streamFormat(accept: string | undefined): StreamFormat {
  return accept?.includes('text/event-stream') ? 'sse' : 'ndjson'
}

const CONTENT_TYPE: Record<StreamFormat, string> = { sse: 'text/event-stream', ndjson: 'application/x-ndjson' }
const encoder = new TextEncoder()

export async function streamResponse(plan: ResponsePlan, messages: AsyncIterable<Message>, options: StreamResponseOptions): Promise<Response> {
  const iterator = messages[Symbol.asyncIterator]()
  if (plan.raw) return rawStream(plan, iterator, options)
  let pending: Promise<IteratorResult<Message>> | undefined = iterator.next()
  // Waits for the first message a while: an immediate failure then gets its own status.
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<'wait'>((resolve) => (timer = setTimeout(resolve, options.headWaitMs, 'wait')))
  try {
    await Promise.race([pending, timeout])
  } finally {
    clearTimeout(timer)
  }
  const frame = options.format === 'sse' ? sseFrame : ndjsonFrame
  let finished = false
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (finished) return controller.close()
      try {
        const next = await (pending ?? iterator.next())
        pending = undefined
        if (next.done) return controller.close()
        controller.enqueue(encoder.encode(frame('result', jsonPart(plan, next.value))))
      } catch (err) {
        finished = true
        controller.enqueue(encoder.encode(frame('error', options.problem(err) as JsonValue)))
      }
    },
    cancel() {
      options.cancel()
    },
  })
  const headers = { 'content-type': CONTENT_TYPE[options.format], 'cache-control': 'no-store' }
  return new Response(body, { status: 200, headers })
}

async function rawStream(plan: ResponsePlan, iterator: AsyncIterator<Message>, options: StreamResponseOptions): Promise<Response> {
  // The status and content type wait for the first bytes (or the end): errors before them are plain problems.
  let first: { data: Uint8Array; contentType?: string } | undefined
  let done = false
  const entity: Record<string, string> = {}
  while (!first && !done) {
    const next = await iterator.next()
    if (next.done) done = true
    else {
      Object.assign(entity, entityHeaders(next.value)) // e.g. GetObject's header message
      first = rawPart(plan, next.value)
    }
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first && first.data.byteLength > 0) controller.enqueue(first.data)
      if (done) controller.close()
    },
    async pull(controller) {
      try {
        // A pull must enqueue, close or fail: a pull that does nothing is not repeated.
        for (;;) {
          const next = await iterator.next()
          if (next.done) return controller.close()
          const part = rawPart(plan, next.value)
          if (part && part.data.byteLength > 0) return controller.enqueue(part.data)
        }
      } catch (err) {
        controller.error(err)
      }
    },
    cancel() {
      options.cancel()
    },
  })
  const headers = { 'content-type': first?.contentType ?? 'application/octet-stream', ...entity }
  return new Response(body, { status: 200, headers })
}

function sseFrame(kind: 'result' | 'error', json: JsonValue): string {
  return kind === 'error' ? `event: error\ndata: ${JSON.stringify(json)}\n\n` : `data: ${JSON.stringify(json)}\n\n`
}

function ndjsonFrame(kind: 'result' | 'error', json: JsonValue): string {
  return `${JSON.stringify({ [kind]: json })}\n`
}
