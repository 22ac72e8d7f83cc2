/**
 * Percent-decoding as an attacker's target server might do it: lenient (a bad escape stays as
 * it is), `+` as a space in query strings and forms, IIS `%uXXXX`, and UTF-8 decoded without rejecting overlong forms, so
 * `%c0%af` becomes `/` and `%c0%ae` becomes `.` (what old decoders did, hence the evasion).
 */

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  const lower = code | 32
  return lower >= 97 && lower <= 102 ? lower - 87 : -1
}

const PERCENT_OR_PLUS = /[%+]/g
const PERCENT = /%/g

/** One round of decoding. Linear in the input: spans without escapes are copied whole. */
export function percentDecodeOnce(s: string, plusAsSpace = true): string {
  if (s.indexOf('%') < 0 && (!plusAsSpace || s.indexOf('+') < 0)) return s
  const special = plusAsSpace ? PERCENT_OR_PLUS : PERCENT
  let out = ''
  let bytes: number[] = []
  const flush = () => {
    if (bytes.length > 0) out += decodeLenientUtf8(bytes)
    bytes = []
  }
  let i = 0
  while (i < s.length) {
    special.lastIndex = i
    const at = special.exec(s)?.index ?? s.length
    if (at > i) {
      flush()
      out += s.slice(i, at)
    }
    if (at >= s.length) break
    if (s.charCodeAt(at) === 43 /* + */) {
      flush()
      out += ' '
      i = at + 1
      continue
    }
    const h1 = hexValue(s.charCodeAt(at + 1))
    const h2 = hexValue(s.charCodeAt(at + 2))
    if (h1 >= 0 && h2 >= 0) {
      bytes.push(h1 * 16 + h2)
      i = at + 3
      continue
    }
    const u = s.charCodeAt(at + 1) | 32
    const u1 = hexValue(s.charCodeAt(at + 2))
    const u2 = hexValue(s.charCodeAt(at + 3))
    const u3 = hexValue(s.charCodeAt(at + 4))
    const u4 = hexValue(s.charCodeAt(at + 5))
    flush()
    if (u === 117 /* u */ && u1 >= 0 && u2 >= 0 && u3 >= 0 && u4 >= 0) {
      out += String.fromCharCode(((u1 * 16 + u2) * 16 + u3) * 16 + u4)
      i = at + 6
    } else {
      out += '%'
      i = at + 1
    }
  }
  flush()
  return out
}

/**
 * Decodes until nothing changes, at most `rounds` times (double and triple encoding). `+` stays:
 * where it meant a space (query strings, forms) the parser has already decoded it.
 */
export function percentDecode(s: string, rounds = 3): string {
  let current = s
  for (let i = 0; i < rounds; i++) {
    const next = percentDecodeOnce(current, false)
    if (next === current) break
    current = next
  }
  return current
}

function continuation(b: number | undefined): b is number {
  return b !== undefined && (b & 0xc0) === 0x80
}

/** UTF-8 that accepts overlong sequences; a byte that fits no sequence becomes its Latin-1 character. */
export function decodeLenientUtf8(bytes: readonly number[]): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number
    const b1 = bytes[i + 1]
    const b2 = bytes[i + 2]
    const b3 = bytes[i + 3]
    if (b < 0x80) out += String.fromCharCode(b)
    else if (b >= 0xc0 && b < 0xe0 && continuation(b1)) {
      out += String.fromCharCode(((b & 0x1f) << 6) | (b1 & 0x3f))
      i += 1
    } else if (b >= 0xe0 && b < 0xf0 && continuation(b1) && continuation(b2)) {
      out += String.fromCharCode(((b & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f))
      i += 2
    } else if (b >= 0xf0 && b < 0xf8 && continuation(b1) && continuation(b2) && continuation(b3)) {
      const cp = ((b & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f)
      out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd'
      i += 3
    } else out += String.fromCharCode(b)
  }
  return out
}
