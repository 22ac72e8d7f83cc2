/**
 * The bytes of `parts` one after another in a new array, at most `limit` of them (the first
 * `limit`; default all).
 */
export function concatBytes(parts: readonly Uint8Array[], limit = Number.POSITIVE_INFINITY): Uint8Array {
  let size = 0
  for (const part of parts) size += part.byteLength
  const out = new Uint8Array(Math.min(limit, size))
  let at = 0
  for (const part of parts) {
    if (at >= out.length) break
    const take = part.byteLength <= out.length - at ? part : part.subarray(0, out.length - at)
    out.set(take, at)
    at += take.byteLength
  }
  return out
}
