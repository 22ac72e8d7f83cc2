import { utf8Length } from './bytes.ts'
import { invalidArgument } from './errors.ts'

/** The proto's naming rules and numeric limits, checked before anything touches the store. */

/** Chunks carry 1 to 1 MiB, both ways. */
export const MAX_CHUNK_BYTES = 1_048_576
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'
const MAX_KEY_BYTES = 1024
const MAX_CONTENT_TYPE_CHARS = 256
const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/
const UPLOAD_ID = /^[A-Za-z0-9_-]{1,64}$/
const CONTROL = /[\u0000-\u001f\u007f]/

export function checkBucket(bucket: string, field = 'bucket'): string {
  if (!BUCKET.test(bucket)) {
    throw invalidArgument(
      `${field} ${JSON.stringify(bucket)} is invalid: ` +
        'use 3 to 63 characters of [a-z0-9-], starting and ending with a letter or a digit',
    )
  }
  return bucket
}

export function checkKey(key: string, field = 'key'): string {
  const fail = (why: string) => invalidArgument(`${field} ${JSON.stringify(key)} is invalid: ${why}`)
  if (key.length === 0) throw invalidArgument(`${field} is empty: use 1 to ${MAX_KEY_BYTES} bytes of UTF-8`)
  const bytes = utf8Length(key)
  if (bytes > MAX_KEY_BYTES) {
    throw invalidArgument(`${field} is ${bytes} bytes long: at most ${MAX_KEY_BYTES} bytes of UTF-8`)
  }
  const control = CONTROL.exec(key)
  if (control) throw fail(`control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)
  key.split('/').forEach((segment, i) => {
    if (segment === '') throw fail(`segment ${i + 1} is empty (no leading, trailing or doubled "/")`)
    if (segment === '.' || segment === '..') throw fail(`segment ${i + 1} is "${segment}"`)
  })
  return key
}

export function checkUploadId(uploadId: string): string {
  if (!UPLOAD_ID.test(uploadId)) {
    throw invalidArgument(`upload_id ${JSON.stringify(uploadId)} is invalid: 1 to 64 characters of [A-Za-z0-9_-]`)
  }
  return uploadId
}

/** An expected digest: empty (none) or the 32 raw bytes of a SHA-256. */
export function checkSha256(digest: Uint8Array, field = 'sha256'): Uint8Array {
  if (digest.length !== 0 && digest.length !== 32) {
    throw invalidArgument(`${field} has ${digest.length} bytes: give the 32 raw bytes of the SHA-256, or nothing`)
  }
  return digest
}

/** Empty means application/octet-stream; otherwise up to 256 visible ASCII characters (it becomes a header). */
export function checkContentType(contentType: string): string {
  if (contentType === '') return DEFAULT_CONTENT_TYPE
  if (contentType.length > MAX_CONTENT_TYPE_CHARS || !/^[\x20-\x7e]+$/.test(contentType)) {
    throw invalidArgument(
      `content_type ${JSON.stringify(contentType.slice(0, 64))} is invalid: ` +
        `up to ${MAX_CONTENT_TYPE_CHARS} visible ASCII characters`,
    )
  }
  return contentType
}

/** A non-negative int64 as a number; values past 2^53 are clamped (no object is that large). */
export function checkNonNegative(value: bigint, field: string): number {
  if (value < 0n) throw invalidArgument(`${field} must not be negative, got ${value}`)
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value)
}

/** A declared size: non-negative and representable. */
export function checkSize(value: bigint | undefined): number | undefined {
  if (value === undefined) return undefined
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidArgument(`size ${value} is too large`)
  return checkNonNegative(value, 'size')
}

export function checkGeneration(value: bigint | undefined): bigint | undefined {
  if (value !== undefined && value < 0n) throw invalidArgument(`if_generation_match must not be negative, got ${value}`)
  return value
}

/** page_size: 0 means 100, more than 1000 means 1000, negative is invalid. */
export function pageSize(value: number): number {
  if (value < 0) throw invalidArgument(`page_size must not be negative, got ${value}`)
  return value === 0 ? 100 : Math.min(value, 1000)
}
