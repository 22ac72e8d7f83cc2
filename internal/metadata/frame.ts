/**
 * The frame of every record in the log and in snapshots:
 *
 *   offset 0  u32 LE  payload length n (1 .. MAX_FRAME_BYTES)
 *   offset 4  u32 LE  CRC-32 (IEEE) of bytes 0..3 followed by the payload
 *   offset 8  n bytes payload
 *
 * A frame is valid only when its length is in range, it fits in the file and the checksum
 * matches. Pure functions over bytes (no I/O), so recovery is testable without a disk.
 */
export const FRAME_HEADER_BYTES = 8
/** A record (1 KiB key + 1 MiB value) plus its encoding fits with room to spare. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024

const TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

export function crc32(bytes: Uint8Array, seed = 0): number {
  let c = ~seed >>> 0
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}

const frameChecksum = (lengthBytes: Uint8Array, payload: Uint8Array): number => crc32(payload, crc32(lengthBytes))

export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length === 0 || payload.length > MAX_FRAME_BYTES) throw new RangeError(`frame payload of ${payload.length} bytes`)
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length)
  const view = new DataView(frame.buffer)
  view.setUint32(0, payload.length, true)
  view.setUint32(4, frameChecksum(frame.subarray(0, 4), payload), true)
  frame.set(payload, FRAME_HEADER_BYTES)
  return frame
}

/**
 * `clean`: the bytes are whole valid frames. `torn`: valid frames up to `validLength`, then
 * what a crash during the last append leaves (a partial frame, a frame reaching the end of the
 * file that fails its checksum, or zeros to the end): safe to truncate. `corrupt`: an invalid
 * frame followed by other data, which no crash of an append-only writer produces.
 */
export interface FrameScan {
  payloads: Uint8Array[]
  validLength: number
  tail: 'clean' | 'torn' | 'corrupt'
}

const zerosFrom = (bytes: Uint8Array, from: number): boolean => bytes.subarray(from).every((b) => b === 0)

export function scanFrames(bytes: Uint8Array): FrameScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const payloads: Uint8Array[] = []
  let at = 0
  const stop = (torn: boolean): FrameScan => ({ payloads, validLength: at, tail: torn ? 'torn' : 'corrupt' })
  while (at < bytes.length) {
    if (bytes.length - at < FRAME_HEADER_BYTES) return stop(true)
    const length = view.getUint32(at, true)
    if (length === 0 || length > MAX_FRAME_BYTES) return stop(zerosFrom(bytes, at))
    const end = at + FRAME_HEADER_BYTES + length
    if (end > bytes.length) return stop(true)
    const payload = bytes.subarray(at + FRAME_HEADER_BYTES, end)
    if (frameChecksum(bytes.subarray(at, at + 4), payload) !== view.getUint32(at + 4, true)) {
      return stop(end === bytes.length || zerosFrom(bytes, end))
    }
    payloads.push(payload)
    at = end
  }
  return { payloads, validLength: at, tail: 'clean' }
}
