import { concatBytes } from '../../../../internal/shell/bytes.ts'

/** The first bytes of a request body, and the whole body again as a stream for the upstream. */
export interface BodyPrefix {
  /** At most the bound, decoded as UTF-8 (invalid sequences replaced). */
  readonly text: string
  /** True when the body is longer than the bound (only its prefix was read). */
  readonly oversized: boolean
  /**
   * Every byte of the original body, in order: the bytes themselves when the whole body was read
   * (cheaper for the runtime to wrap in a Request than a stream), else a stream of the chunks read
   * so far, then the rest as it arrives.
   */
  readonly body: ReadableStream<Uint8Array> | Uint8Array
}

/** Stateless without `stream: true`, so one serves every request. */
const UTF8 = new TextDecoder()

/**
 * Reads a body until `limit` bytes (or its end) and returns them with a replacement stream.
 * Nothing beyond the bound is buffered: the replay pulls the rest from the original reader only
 * as the upstream consumes it, so large uploads still stream with backpressure.
 */
export async function readBodyPrefix(source: ReadableStream<Uint8Array>, limit: number): Promise<BodyPrefix> {
  const reader = source.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  let done = false
  while (size <= limit) {
    const next = await reader.read()
    if (next.done) {
      done = true
      break
    }
    chunks.push(next.value)
    size += next.value.byteLength
  }
  const text = UTF8.decode(concatBytes(chunks, limit))
  if (done) return { text, oversized: size > limit, body: chunks.length === 1 ? (chunks[0] as Uint8Array) : concatBytes(chunks) }
  const pending = chunks.slice()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = pending.shift()
      if (chunk !== undefined) return controller.enqueue(chunk)
      if (done) return controller.close()
      const next = await reader.read()
      if (next.done) controller.close()
      else controller.enqueue(next.value)
    },
    cancel(reason) {
      return reader.cancel(reason)
    },
  })
  return { text, oversized: size > limit, body }
}
