/**
 * gRPC-web's body: 5-byte length-prefixed frames (flag byte, big-endian length) like gRPC's, plus
 * a last frame with flag 0x80 holding the trailers as `name: value\r\n` lines.
 */
import { concatBytes } from '../bytes.ts'

/** The largest trailer frame accepted from upstream (the same order as an HTTP header block). */
const MAX_TRAILER_BYTES = 64 * 1024

export class GrpcWebFrameError extends Error {
  override name = 'GrpcWebFrameError'
}

/**
 * An incremental reader of a gRPC-web response body: `push` returns the bytes of data frames to
 * forward as they are (headers included, never buffered whole), and the trailer frame, once
 * complete, lands in `trailers`. Throws GrpcWebFrameError on data after the trailers or an
 * oversized trailer frame.
 */
export function createGrpcWebDeframer() {
  const header = new Uint8Array(5)
  let headerFill = 0
  let remaining = 0
  let inTrailer = false
  let trailerParts: Uint8Array[] = []
  let trailers: Record<string, string> | undefined

  const finishFrame = () => {
    if (inTrailer) trailers = parseTrailerBlock(concatBytes(trailerParts))
    trailerParts = []
    headerFill = 0
    inTrailer = false
  }

  return {
    get trailers() {
      return trailers
    },
    /** True when the body so far ends on a frame boundary. */
    get atBoundary() {
      return headerFill === 0
    },
    push(chunk: Uint8Array): Uint8Array[] {
      const out: Uint8Array[] = []
      let i = 0
      while (i < chunk.length) {
        if (headerFill < 5) {
          const n = Math.min(5 - headerFill, chunk.length - i)
          header.set(chunk.subarray(i, i + n), headerFill)
          headerFill += n
          i += n
          if (headerFill < 5) break
          if (trailers !== undefined) throw new GrpcWebFrameError('data after the trailer frame')
          remaining = new DataView(header.buffer).getUint32(1)
          inTrailer = ((header[0] as number) & 0x80) !== 0
          if (inTrailer && remaining > MAX_TRAILER_BYTES) throw new GrpcWebFrameError(`trailer frame of ${remaining} bytes`)
          if (!inTrailer) out.push(header.slice())
          if (remaining === 0) finishFrame()
          continue
        }
        const n = Math.min(remaining, chunk.length - i)
        const part = chunk.subarray(i, i + n)
        if (inTrailer) trailerParts.push(part.slice())
        else out.push(part)
        remaining -= n
        i += n
        if (remaining === 0) finishFrame()
      }
      return out
    },
  }
}

/** `name: value\r\n` lines -> lower-case names; malformed lines are skipped. */
export function parseTrailerBlock(bytes: Uint8Array): Record<string, string> {
  const trailers: Record<string, string> = {}
  for (const line of new TextDecoder().decode(bytes).split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) continue
    const value = line.slice(colon + 1).trim()
    trailers[name] = name in trailers ? `${trailers[name]}, ${value}` : value
  }
  return trailers
}

