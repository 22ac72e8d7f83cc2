import { invalidArgument, quote } from './errors.ts'

/** Limits of metadata.proto ("Keys", "Values", "Pagination"). */
export const MAX_KEY_BYTES = 1024
export const MAX_VALUE_BYTES = 1_048_576
export const DEFAULT_PAGE_SIZE = 100
export const MAX_PAGE_SIZE = 1000

const encoder = new TextEncoder()
const CONTROL = /[\u0000-\u001f\u007f]/u
const LONE_SURROGATE = /\p{Cs}/u

export const utf8Length = (text: string): number => encoder.encode(text).length

/** Problems shared by keys and prefixes: length, control characters, malformed UTF-16. */
function textProblem(field: string, text: string): string | undefined {
  const bytes = utf8Length(text)
  if (bytes > MAX_KEY_BYTES) return `${field} is ${bytes} bytes of UTF-8; at most ${MAX_KEY_BYTES}`
  const control = CONTROL.exec(text)
  if (control) {
    const hex = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')
    return `${field} ${quote(text)} contains the control character U+${hex} at index ${control.index}`
  }
  if (LONE_SURROGATE.test(text)) return `${field} ${quote(text)} is not valid UTF-8 (a lone surrogate)`
  return undefined
}

/** Throws INVALID_ARGUMENT unless `key` is a record key: 1-1024 bytes, "/"-separated non-empty segments. */
export function checkKey(key: string, field = 'key'): void {
  if (key === '') throw invalidArgument(`${field} is empty; a key is 1 to ${MAX_KEY_BYTES} bytes`)
  const problem =
    textProblem(field, key) ??
    (key.startsWith('/') ? `${field} ${quote(key)} starts with "/"` : undefined) ??
    (key.endsWith('/') ? `${field} ${quote(key)} ends with "/"` : undefined) ??
    (key.includes('//') ? `${field} ${quote(key)} has an empty segment ("//")` : undefined)
  if (problem) throw invalidArgument(problem)
}

/** Throws INVALID_ARGUMENT unless `prefix` could start a key (empty is every key; a trailing "/" is fine). */
export function checkPrefix(prefix: string): void {
  const problem = textProblem('prefix', prefix)
  if (problem) throw invalidArgument(problem)
}

export function checkValue(value: Uint8Array): void {
  if (value.length > MAX_VALUE_BYTES) {
    throw invalidArgument(`value is ${value.length} bytes; at most ${MAX_VALUE_BYTES} (1 MiB)`)
  }
}

/** Throws INVALID_ARGUMENT when a counter field (revision, version, epoch) is negative. */
export function checkNotNegative(field: string, n: bigint | number): void {
  if (n < 0) throw invalidArgument(`${field} is ${n}; it must not be negative`)
}

/** `page_size` → a limit: 0 means 100, above 1000 means 1000, negative is INVALID_ARGUMENT. */
export function pageLimit(pageSize: number): number {
  checkNotNegative('page_size', pageSize)
  return pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE)
}

/** A UTF-16 code unit mapped so that comparing mapped units orders strings by code point. */
const rank = (unit: number): number => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit)

/**
 * Orders keys as their UTF-8 bytes order (= code point order). Plain `<` compares UTF-16 code
 * units, which puts U+E000-U+FFFF after the astral planes.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return rank(x) - rank(y)
  }
  return a.length - b.length
}
