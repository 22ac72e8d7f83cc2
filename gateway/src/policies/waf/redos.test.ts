import { describe, expect, it } from 'vitest'
import { BASE_RULES } from './base-rules.ts'
import { compileRule } from './rule-set.ts'
import { TRANSFORMS } from './rule-spec.ts'
import { applyTransform } from './transforms.ts'

/**
 * A safety test, not a benchmark: every pattern (after its transforms) runs over 64 KiB inputs
 * built to provoke backtracking (long runs of one character, and near-misses of the patterns'
 * own shapes repeated) and must finish well within a generous bound.
 */
const SIZE = 64 * 1024
const BOUND_MS = 50

const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE)
const INPUTS: readonly [string, string][] = [
  ...['a', ' ', '0', "'", '"', '<', '>', '.', '/', '\\', '%', '{', '$', '-', '(', ';', '&', '|', '=', '_', '\n', '\u00e9'].map(
    (c): [string, string] => [`64 KiB of ${JSON.stringify(c)}`, fill(c)],
  ),
  ['quote-or runs', fill("' or a")],
  ['quote-and-number runs', fill("1' and 1 ")],
  ['select without from', fill('select a, ')],
  ['union without select', fill('union all ')],
  ['comment openers', fill('/*!5')],
  ['tag openers', fill('<a x=')],
  ['event handler near-miss', fill(' onerrorx ')],
  ['script scheme near-miss', fill('javascript')],
  ['dot-dot runs', fill('..;')],
  ['dot runs with slashes', fill('....//')],
  ['percent-encoded dots', fill('%2e%2e%c0%af')],
  ['entity runs', fill('&#x3c;&lt')],
  ['js escapes', fill('\\x3c\\u00')],
  ['lookup openers', fill('${${lower:')],
  ['template openers', fill('{{7*')],
  ['url scheme runs', fill('http://127.0.0.')],
  ['command separators', fill('; cat ')],
  ['php tags', fill('<?p')],
  ['serialized object openers', fill('O:8:"')],
  ['backticks', fill('`id ')],
  ['nosql keys', fill('[$ne]')],
  ['proto runs', fill('constructor.')],
  ['word soup', fill('select union from where order by having sleep benchmark exec system ')],
]

/** The fastest of up to three runs: a pattern that backtracks is slow every time, a GC pause is not. */
function fastestMs(run: () => void): number {
  let best = Infinity
  for (let i = 0; i < 3 && best >= BOUND_MS; i++) {
    const started = performance.now()
    run()
    best = Math.min(best, performance.now() - started)
  }
  return best
}

describe('rules on adversarial inputs', () => {
  const rules = BASE_RULES.filter((r) => r.pattern !== undefined).map(compileRule)

  it.each(rules.map((r) => [r.id, r] as const))(`rule %i: the pattern finishes each input in < ${BOUND_MS} ms`, (_, rule) => {
    for (const [label, input] of INPUTS) {
      let text = input
      for (const t of rule.transforms) text = applyTransform(t, text)
      expect(fastestMs(() => (rule.pattern as RegExp).test(text)), `rule ${rule.id} on ${label}`).toBeLessThan(BOUND_MS)
    }
  })

  it.each(TRANSFORMS.map((t) => [t]))(`transform %s finishes each input in < ${BOUND_MS} ms`, (name) => {
    for (const [label, input] of INPUTS) {
      expect(fastestMs(() => applyTransform(name, input)), `${name} on ${label}`).toBeLessThan(BOUND_MS)
    }
  })
})
