import { maskPosition } from './char-mask.ts'
import type { CharMask } from './char-mask.ts'

/**
 * What a pattern needs from a text before it can match: characters that every match contains
 * (`all`) and sets of which every match contains at least one (`any`), derived from the pattern
 * source (case-insensitive, as the engine compiles it). Only ASCII is tracked: a character above
 * it cannot occur in a value that has a character mask (char-mask.ts), so a requirement met only
 * by such characters leaves an empty set, which such a value never satisfies.
 *
 * The analysis only ever drops requirements (optional parts, lookarounds, back-references,
 * negated classes and `.` require nothing), so it is sound for any pattern; syntax it does not
 * know gives no requirement at all.
 */
export interface Requirement {
  readonly all: CharMask
  readonly any: readonly CharMask[]
}

type Words = [number, number, number, number]

/** Conjunctive form while parsing: required single characters, and clauses of alternatives. */
interface Need {
  all: Words
  any: Words[]
}

/** No requirement: every value is tested. */
export const NO_REQUIREMENT: Requirement = { all: [0, 0, 0, 0], any: [] }
const MAX_CLAUSES = 6

/** Letters by rarity in text (rarest first); punctuation is rarer still, digits in between. */
const LETTER_RARITY = 'qjzxvkwyfbghmpduclsntoirae'

function rarity(code: number): number {
  if (code >= 97 && code <= 122) return 100 + LETTER_RARITY.indexOf(String.fromCharCode(code))
  if (code >= 48 && code <= 57) return 50
  if (code === 32) return 1000
  return 0
}

function addCode(w: Words, code: number): void {
  if (code >= 128) return
  const c = maskPosition(code)
  w[c >> 5] = (w[c >> 5] as number) | (1 << (c & 31))
}

function codes(w: Words): number[] {
  const out: number[] = []
  for (let c = 0; c < 128; c++) if (((w[c >> 5] as number) & (1 << (c & 31))) !== 0) out.push(c)
  return out
}

function size(w: Words): number {
  return codes(w).length
}

function union(a: Words, b: Words): Words {
  return [a[0] | b[0], a[1] | b[1], a[2] | b[2], a[3] | b[3]]
}

const empty = (): Words => [0, 0, 0, 0]
const nothing = (): Need => ({ all: empty(), any: [] })
const isEmptyNeed = (n: Need) => size(n.all) === 0 && n.any.length === 0

class Unsupported extends Error {}

/** `\d`, `\w`, `\s` as ASCII sets (`\s` beyond ASCII cannot occur in a masked value). */
function shorthand(letter: string): Words | undefined {
  const w = empty()
  if (letter === 'd') for (let c = 48; c <= 57; c++) addCode(w, c)
  else if (letter === 'w') {
    for (let c = 48; c <= 57; c++) addCode(w, c)
    for (let c = 97; c <= 122; c++) addCode(w, c)
    addCode(w, 95)
  } else if (letter === 's') for (const c of [9, 10, 11, 12, 13, 32]) addCode(w, c)
  else return undefined
  return w
}

class Parser {
  private i = 0
  constructor(private readonly src: string) {}

  parse(): Need {
    const need = this.alternation()
    if (this.i !== this.src.length) throw new Unsupported('trailing input')
    return need
  }

  private peek(offset = 0): string | undefined {
    return this.src[this.i + offset]
  }

  private alternation(): Need {
    const alternatives = [this.sequence()]
    while (this.peek() === '|') {
      this.i++
      alternatives.push(this.sequence())
    }
    if (alternatives.length === 1) return alternatives[0] as Need
    // (a1 ∧ a2 …) ∨ (b1 ∧ …) implies (ai ∨ bj): one clause, the most selective member of each side.
    let clause = empty()
    for (const alt of alternatives) {
      const pick = mostSelective(alt)
      if (pick === undefined) return nothing()
      clause = union(clause, pick)
    }
    return { all: empty(), any: [clause] }
  }

  private sequence(): Need {
    const need = nothing()
    for (;;) {
      const c = this.peek()
      if (c === undefined || c === '|' || c === ')') return need
      const part = this.quantified()
      need.all = union(need.all, part.all)
      need.any.push(...part.any)
    }
  }

  private quantified(): Need {
    const atom = this.atom()
    const min = this.quantifier()
    if (min === undefined) return atom
    if (this.peek() === '?') this.i++ // lazy
    return min === 0 ? nothing() : atom
  }

  /** The minimum of a quantifier at the cursor (consumed), or undefined when there is none. */
  private quantifier(): number | undefined {
    const c = this.peek()
    if (c === '*' || c === '?') {
      this.i++
      return 0
    }
    if (c === '+') {
      this.i++
      return 1
    }
    if (c === '{') {
      const m = /^\{(\d+)(?:,(\d*))?\}/.exec(this.src.slice(this.i))
      if (m === null) return undefined // a literal '{'
      this.i += m[0].length
      return Number(m[1])
    }
    return undefined
  }

  private atom(): Need {
    const c = this.peek() as string
    this.i++
    switch (c) {
      case '(': {
        let lookaround = false
        if (this.peek() === '?') {
          const rest = this.src.slice(this.i, this.i + 3)
          if (rest.startsWith('?:')) this.i += 2
          else if (rest.startsWith('?=') || rest.startsWith('?!')) (this.i += 2), (lookaround = true)
          else if (rest.startsWith('?<=') || rest.startsWith('?<!')) (this.i += 3), (lookaround = true)
          else if (rest.startsWith('?<')) {
            const close = this.src.indexOf('>', this.i)
            if (close < 0) throw new Unsupported('group name')
            this.i = close + 1
          } else throw new Unsupported('group')
        }
        const inner = this.alternation()
        if (this.peek() !== ')') throw new Unsupported('unclosed group')
        this.i++
        return lookaround ? nothing() : inner
      }
      case '[':
        return this.charClass()
      case '.':
      case '^':
      case '$':
        return nothing()
      case '\\':
        return this.escape()
      case '*':
      case '+':
      case '?':
      case ')':
      case '|':
        throw new Unsupported(`unexpected ${c}`)
      default:
        return single(c.charCodeAt(0))
    }
  }

  private escape(): Need {
    const e = this.peek()
    if (e === undefined) throw new Unsupported('trailing backslash')
    this.i++
    if (e === 'b' || e === 'B' || e === 'D' || e === 'W' || e === 'S') return nothing()
    // `\k` is a named back-reference or a plain `k`, depending on the rest of the pattern.
    if (e === 'k') throw new Unsupported('\\k')
    if (/[1-9]/.test(e)) {
      while (/\d/.test(this.peek() ?? '')) this.i++
      return nothing() // a back-reference may be empty
    }
    const set = shorthand(e)
    if (set !== undefined) return { all: empty(), any: [set] }
    return single(this.escapedCode(e))
  }

  /** The character of an escape whose letter `e` was just consumed (also inside classes). */
  private escapedCode(e: string): number {
    const simple: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, '0': 0 }
    if ((e === '0' && /\d/.test(this.peek() ?? '')) || /[1-9]/.test(e)) throw new Unsupported('octal escape')
    if (simple[e] !== undefined) return simple[e] as number
    if (e === 'x' || e === 'u') {
      const n = e === 'x' ? 2 : 4
      const hex = this.src.slice(this.i, this.i + n)
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw new Unsupported('hex escape')
      this.i += n
      return parseInt(hex, 16)
    }
    if (/[a-zA-Z]/.test(e)) throw new Unsupported(`escape \\${e}`)
    return e.charCodeAt(0)
  }

  private charClass(): Need {
    if (this.peek() === '^') {
      const close = this.classEnd()
      this.i = close + 1
      return nothing()
    }
    const set = empty()
    let universal = false
    while (this.peek() !== ']') {
      const c = this.peek()
      if (c === undefined) throw new Unsupported('unclosed class')
      const from = this.classAtom(set)
      if (from === 'universal') universal = true
      if (typeof from === 'number' && this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.i++
        const to = this.classAtom(set)
        if (typeof to !== 'number') throw new Unsupported('range with a class')
        for (let code = from; code <= to && code < 128; code++) addCode(set, code)
      } else if (typeof from === 'number') addCode(set, from)
    }
    this.i++ // ']'
    return universal ? nothing() : { all: empty(), any: [set] }
  }

  /** One class member: a code, or a shorthand added to `set` ('set'), or one that matches anything ('universal'). */
  private classAtom(set: Words): number | 'set' | 'universal' {
    const c = this.peek() as string
    this.i++
    if (c !== '\\') return c.charCodeAt(0)
    const e = this.peek()
    if (e === undefined) throw new Unsupported('trailing backslash')
    this.i++
    if (e === 'D' || e === 'W' || e === 'S') return 'universal'
    if (e === 'b') return 8
    const sh = shorthand(e)
    if (sh !== undefined) {
      for (const code of codes(sh)) addCode(set, code)
      return 'set'
    }
    return this.escapedCode(e)
  }

  /** The index of the `]` closing the class that starts at the cursor. */
  private classEnd(): number {
    for (let j = this.i; j < this.src.length; j++) {
      if (this.src[j] === '\\') j++
      else if (this.src[j] === ']') return j
    }
    throw new Unsupported('unclosed class')
  }
}

function single(code: number): Need {
  const w = empty()
  // A character above ASCII: no masked value has it, which an empty clause says.
  if (code >= 128) return { all: empty(), any: [w] }
  addCode(w, code)
  return { all: w, any: [] }
}

/** The smallest set one of whose members every match of `need` contains, or undefined if none. */
function mostSelective(need: Need): Words | undefined {
  let best: Words | undefined
  let bestScore = Infinity
  for (const code of codes(need.all)) {
    const score = rarity(code)
    if (score < bestScore) {
      const w = empty()
      addCode(w, code)
      best = w
      bestScore = score
    }
  }
  if (best !== undefined && bestScore < 100) return best
  for (const clause of need.any) {
    const score = clause.every((x) => x === 0) ? -1 : 100 * size(clause)
    if (score < bestScore) {
      best = clause
      bestScore = score
    }
  }
  return best
}

/** The requirement of a pattern source (compiled with the `i` flag), NO_REQUIREMENT when it cannot be derived. */
export function requiredChars(source: string): Requirement {
  let need: Need
  try {
    need = new Parser(source).parse()
  } catch (err) {
    if (err instanceof Unsupported) return NO_REQUIREMENT
    throw err
  }
  if (isEmptyNeed(need)) return NO_REQUIREMENT
  // A clause that a required single character already satisfies adds nothing.
  const all = need.all
  const any = need.any
    .filter((c) => (c[0] & all[0]) === 0 && (c[1] & all[1]) === 0 && (c[2] & all[2]) === 0 && (c[3] & all[3]) === 0)
    .sort((a, b) => size(a) - size(b))
    .slice(0, MAX_CLAUSES)
  return { all, any }
}

/**
 * `requirement` plus what keywords imply: one of them must occur, so the text holds one character
 * of each keyword; the rarest one of each, joined, is a clause checked first (it rejects most).
 */
export function withKeywords(requirement: Requirement, keywords: readonly CharMask[]): Requirement {
  let clause = empty()
  for (const k of keywords) {
    const pick = mostSelective({ all: [k[0], k[1], k[2], k[3]], any: [] })
    if (pick !== undefined) clause = union(clause, pick)
  }
  return { all: requirement.all, any: [clause, ...requirement.any] }
}

/**
 * One set that every text the requirement accepts intersects (its rarest required character, or
 * its smallest clause); undefined when it requires nothing. An empty set: no masked value fits.
 */
export function designatedClause(requirement: Requirement): CharMask | undefined {
  const [a0, a1, a2, a3] = requirement.all
  return mostSelective({ all: [a0, a1, a2, a3], any: requirement.any.map(([w0, w1, w2, w3]) => [w0, w1, w2, w3]) })
}
