import type { TransformName } from './rule-spec.ts'
import { percentDecode } from './url-decode.ts'

/** Named entities attackers use to hide markup and separators; numeric ones are decoded generally. */
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ', colon: ':', semi: ';', comma: ',',
  period: '.', excl: '!', equals: '=', num: '#', percnt: '%', lpar: '(', rpar: ')', sol: '/', bsol: '\\',
  tab: '\t', newline: '\n', grave: '`', lsqb: '[', rsqb: ']', lbrack: '[', rbrack: ']', lcub: '{', rcub: '}',
  plus: '+', dollar: '$', ast: '*', quest: '?', commat: '@', vert: '|', hat: '^', lowbar: '_', dot: '.',
}
const ENTITY = /&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([a-zA-Z]{2,8}));?/g
const JS_ESCAPE = /\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|([0-7]{1,3}))/g
/** Characters that render as nothing, and slashes NFKC leaves alone. */
const INVISIBLE = /[\u00ad\u200b-\u200f\u2028\u2029\u2060-\u2064\ufeff]/g
const SLASH_LOOKALIKES = /[\u2215\u2044\u29f8]/g
const BACKSLASH_LOOKALIKES = /[\u2216\u29f9\ufe68]/g
/** SQL/C comment delimiters (MySQL's executable `/*!50000` included): the content stays, the delimiters become spaces. */
const COMMENT_DELIMITERS = /\/\*!?\d{0,5}|\*\//g
const WHITESPACE = /\s+/g
const ANY_WHITESPACE = /\s/
/** Whether compressing whitespace would change anything (a test is cheaper than a replace that copies). */
const COMPRESSIBLE = /\s\s|[^\S ]/
const IFS = /\$\{?ifs\}?/gi
const CMD_REMOVED = /[\\"'^]/g
const CMD_REMOVABLE = /[\\"'^]/
/** Horizontal whitespace only: a newline separates shell commands. */
const CMD_SPACES = /[^\S\n\r]+/g

function fromCodePoint(cp: number): string {
  return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd'
}

function decodeEntitiesOnce(s: string): string {
  return s.replace(ENTITY, (whole, hex?: string, dec?: string, name?: string) => {
    if (hex !== undefined) return fromCodePoint(parseInt(hex, 16))
    if (dec !== undefined) return fromCodePoint(parseInt(dec, 10))
    return NAMED_ENTITIES[(name as string).toLowerCase()] ?? whole
  })
}

/** `/a/./b/../c//d\e` -> `/a/c/d/e`: what a file system would open. */
function normalizePath(s: string): string {
  const absolute = s.startsWith('/') || s.startsWith('\\')
  const out: string[] = []
  for (const segment of s.replace(/\\/g, '/').split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') out.pop()
    else out.push(segment)
  }
  const joined = out.join('/')
  return absolute ? `/${joined}` : joined
}

/** Shell evasions undone (after CRS `t:cmdLine`): quotes, carets and backslashes gone, $IFS as a space, newlines kept. */
function cmdLine(s: string): string {
  let out = s.includes('$') ? s.replace(IFS, ' ') : s
  if (CMD_REMOVABLE.test(out)) out = out.replace(CMD_REMOVED, '')
  if (COMPRESSIBLE.test(out)) out = out.replace(CMD_SPACES, ' ')
  return out.toLowerCase()
}

const APPLY: Readonly<Record<TransformName, (s: string) => string>> = {
  urlDecode: (s) => percentDecode(s),
  htmlEntityDecode: (s) => (s.includes('&') ? decodeEntitiesOnce(decodeEntitiesOnce(s)) : s),
  jsDecode: (s) =>
    s.includes('\\')
      ? s.replace(JS_ESCAPE, (_, x?: string, braced?: string, u?: string, oct?: string) =>
          fromCodePoint(oct !== undefined ? parseInt(oct, 8) : parseInt(x ?? braced ?? u ?? '0', 16)),
        )
      : s,
  unicodeNormalize: (s) =>
    /[^\x00-\x7f]/.test(s)
      ? s.normalize('NFKC').replace(INVISIBLE, '').replace(SLASH_LOOKALIKES, '/').replace(BACKSLASH_LOOKALIKES, '\\')
      : s,
  lowercase: (s) => s.toLowerCase(),
  removeComments: (s) => (s.includes('/*') || s.includes('*/') ? s.replace(COMMENT_DELIMITERS, ' ') : s),
  compressWhitespace: (s) => (COMPRESSIBLE.test(s) ? s.replace(WHITESPACE, ' ') : s),
  removeWhitespace: (s) => (ANY_WHITESPACE.test(s) ? s.replace(WHITESPACE, '') : s),
  normalizePath,
  cmdLine,
}

export function applyTransform(name: TransformName, s: string): string {
  return APPLY[name](s)
}
