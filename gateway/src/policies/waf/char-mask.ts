/**
 * Character sets as 128-bit masks (four 32-bit words, one bit per ASCII code, letters folded to
 * lower case), to skip a rule cheaply: a keyword can only occur in a transformed value if each
 * of its characters can.
 *
 * Why the set of a value's raw characters bounds the set after any transform chain: when the
 * value holds no '%', '&', '\' and only ASCII, the decoding transforms (urlDecode,
 * htmlEntityDecode, jsDecode, unicodeNormalize) are the identity, and every other transform only
 * folds case, removes characters, or writes spaces (removeComments, compressWhitespace, cmdLine's
 * `$IFS`) or slashes that were already there (normalizePath). A value with any of those
 * characters can become anything: it gets no mask and every rule runs as written.
 */

/**
 * Four words: word w holds the codes 32w..32w+31 (bit `code & 31`). Letters are folded: A-Z
 * (word 2, bits 1-26) count as a-z (word 3, same bits). `undefined` for a value whose transforms
 * may create characters.
 */
export type CharMask = readonly [number, number, number, number]

/** A-Z in word 2, a-z in word 3. */
const LETTERS = 0x07fffffe
const SPACE_BIT = 1 << (32 & 31)
const PERCENT_AMPERSAND = (1 << (37 & 31)) | (1 << (38 & 31))
const BACKSLASH = 1 << (92 & 31)

/** The code's mask position: word `code >> 5`, bit `code & 31`, letters folded to lower case. */
export function maskPosition(code: number): number {
  return code >= 65 && code <= 90 ? code | 32 : code
}

const scratch = new Int32Array(4)

/** The folded set of `s`, the space always included, or undefined when `s` can decode into other characters. */
export function valueMask(s: string): CharMask | undefined {
  const w = scratch
  w.fill(0)
  let or = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    or |= c
    const k = (c >> 5) & 3
    w[k] = (w[k] as number) | (1 << c)
  }
  const w1 = (w[1] as number) | SPACE_BIT
  const w2 = w[2] as number
  // '%', '&', '' or anything beyond ASCII: a decoding transform may produce any character.
  if (or >= 128 || (w1 & PERCENT_AMPERSAND) !== 0 || (w2 & BACKSLASH) !== 0) return undefined
  return [w[0] as number, w1, w2 & ~LETTERS, (w[3] as number) | (w2 & LETTERS)]
}

/**
 * The characters of `keyword` (already lower case, as rule keywords must be). Undefined when it
 * holds a character outside ASCII, which a value with a mask can never contain.
 */
export function keywordMask(keyword: string): CharMask | undefined {
  const words = [0, 0, 0, 0]
  for (let i = 0; i < keyword.length; i++) {
    const c = maskPosition(keyword.charCodeAt(i))
    if (c >= 128) return undefined
    words[c >> 5] = (words[c >> 5] as number) | (1 << (c & 31))
  }
  return words as unknown as CharMask
}

/** Whether the characters of `keyword` (a `keywordMask`) all occur in `value`. */
export function keywordFits(value: CharMask, keyword: CharMask | undefined): boolean {
  return (
    keyword !== undefined &&
    (keyword[0] & ~value[0]) === 0 &&
    (keyword[1] & ~value[1]) === 0 &&
    (keyword[2] & ~value[2]) === 0 &&
    (keyword[3] & ~value[3]) === 0
  )
}

/** Whether some keyword's characters all occur in `value`. */
export function anyKeywordFits(value: CharMask, keywords: readonly (CharMask | undefined)[]): boolean {
  for (let k = 0; k < keywords.length; k++) if (keywordFits(value, keywords[k])) return true
  return false
}

/** Whether `value` has every character of `all` and one of each set in `any`. */
export function meetsRequirement(value: CharMask, all: CharMask, any: readonly CharMask[]): boolean {
  const v0 = value[0]
  const v1 = value[1]
  const v2 = value[2]
  const v3 = value[3]
  if ((all[0] & ~v0) !== 0 || (all[1] & ~v1) !== 0 || (all[2] & ~v2) !== 0 || (all[3] & ~v3) !== 0) return false
  for (let k = 0; k < any.length; k++) {
    const m = any[k] as CharMask
    if ((m[0] & v0) === 0 && (m[1] & v1) === 0 && (m[2] & v2) === 0 && (m[3] & v3) === 0) return false
  }
  return true
}
