import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BASE_RULES } from './base-rules.ts'
import { bodyValues } from './body-values.ts'
import { anyKeywordFits, meetsRequirement, valueMask } from './char-mask.ts'
import { inspect, targetGlob } from './inspect.ts'
import type { Exclusion, Match } from './inspect.ts'
import type { InspectedValue } from './inspected-value.ts'
import type { ProtocolLimits } from './protocol-checks.ts'
import { runCheck } from './protocol-checks.ts'
import { requestValues } from './request-values.ts'
import { requiredChars } from './required-chars.ts'
import { indexRules } from './rule-index.ts'
import { compileRule } from './rule-set.ts'
import type { CompiledRule } from './rule-set.ts'
import { applyTransform } from './transforms.ts'
import { toRequest } from './testing.ts'
import type { TestRequest } from './testing.ts'

/**
 * The engine skips work (character masks, keyword and required-character pre-filters, plain
 * transform chains, target buckets): these tests prove it skips nothing that matters, by
 * comparing it with a plain reference engine (every rule, every targeted value, every transform,
 * then the pattern) on the whole corpus, placed in every kind of value, at paranoia 4.
 */
const CORPUS = new URL('./corpus/', import.meta.url)
const RULES = BASE_RULES.map(compileRule)
const INDEX = indexRules(RULES)
/** Without the cross-request memo: every value evaluated. */
const UNMEMOISED = indexRules(RULES, false)
const LIMITS: ProtocolLimits = { allowedMethods: new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']), maxHeaders: 100, maxHeaderBytes: 8192 }

function transform(rule: CompiledRule, value: string): string {
  let text = value
  for (const t of rule.transforms) text = applyTransform(t, text)
  return text
}

/** What the engine did before any optimisation: rule by rule, target by target, value by value. */
function reference(rules: readonly CompiledRule[], exclusions: readonly Exclusion[], req: Request, values: readonly InspectedValue[]): Match[] {
  const skip = (rule: number, name: string) =>
    exclusions.some((e) => (e.rule === undefined || e.rule === rule) && (e.target === undefined || e.target.test(name)))
  const matches: Match[] = []
  for (const rule of rules) {
    if (rule.check !== undefined) {
      const target = runCheck(rule.check, req, LIMITS)
      if (target !== undefined && !skip(rule.id, target)) matches.push({ rule, target })
      continue
    }
    found: for (const target of rule.targets) {
      for (const v of values) {
        if (v.collection !== target && v.name !== target) continue
        if (skip(rule.id, v.name)) continue
        const text = transform(rule, v.value)
        if (rule.keywords !== undefined && !rule.keywords.some((k) => text.includes(k))) continue
        if ((rule.pattern as RegExp).test(text)) {
          matches.push({ rule, target: v.name })
          break found
        }
      }
    }
  }
  return matches
}

function lines(file: URL): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith(';;'))
}

/** Every line of every .txt file of the corpus (attacks, benign, holdout). */
function corpusLines(): string[] {
  const out: string[] = []
  for (const dir of ['attacks/', 'benign/', 'holdout/attacks/', 'holdout/benign/']) {
    for (const name of readdirSync(new URL(dir, CORPUS))) if (name.endsWith('.txt')) out.push(...lines(new URL(dir + name, CORPUS)))
  }
  return out
}

/** The request fixtures of the corpus (benign requests, protocol attacks). */
function corpusRequests(): TestRequest[] {
  return ['benign/requests.json', 'attacks/protocol.json'].flatMap((f) => JSON.parse(readFileSync(new URL(f, CORPUS), 'utf8')) as TestRequest[])
}

/** A payload in the forms a value can take: as written, upper case, tab-separated, percent-encoded, entity-wrapped. */
function variants(payload: string): string[] {
  return [payload, payload.toUpperCase(), payload.replace(/ /g, '\t'), encodeURIComponent(payload), `&#x20;${payload}`]
}

/** One payload in every collection and in the value names rules target by name. */
function placed(payload: string): InspectedValue[] {
  return [
    { collection: 'method', name: 'method', value: payload },
    { collection: 'path', name: 'path', value: `/v1/${payload}` },
    { collection: 'path', name: 'path', value: payload },
    { collection: 'args', name: 'args.q', value: payload },
    { collection: 'args_names', name: `args.${payload}`, value: payload },
    { collection: 'body', name: 'body.comment', value: payload },
    { collection: 'body_names', name: `body.${payload}`, value: payload },
    { collection: 'body', name: 'body', value: `{"note": "${payload}"}` },
    { collection: 'files', name: 'files.upload', value: payload },
    { collection: 'cookies', name: 'cookies.pref', value: payload },
    { collection: 'cookie_names', name: `cookies.${payload}`, value: payload },
    { collection: 'header_names', name: 'headers.x-custom', value: payload },
    { collection: 'headers', name: 'headers.x-custom', value: payload },
    { collection: 'headers', name: 'headers.user-agent', value: payload },
    { collection: 'headers', name: 'headers.referer', value: payload },
  ]
}

const summary = (ms: readonly Match[]) => ms.map((m) => `${m.rule.id}@${m.target}`)
const REQ = toRequest({ path: '/v1/items' })

describe('pre-filters against the reference engine', () => {
  it('every rule pattern that matches a transformed corpus value passes the mask pre-filters', () => {
    let checked = 0
    for (const line of corpusLines()) {
      for (const value of variants(line)) {
        const mask = valueMask(value)
        if (mask === undefined) continue
        for (const rule of RULES) {
          if (rule.pattern === undefined) continue
          const text = transform(rule, value)
          if (rule.keywords !== undefined && !rule.keywords.some((k) => text.includes(k))) continue
          if (!rule.pattern.test(text)) continue
          checked++
          if (rule.keywordMasks !== undefined) expect(anyKeywordFits(mask, rule.keywordMasks), `rule ${rule.id} keywords on ${value}`).toBe(true)
          expect(meetsRequirement(mask, rule.requirement.all, rule.requirement.any), `rule ${rule.id} requirement on ${value}`).toBe(true)
        }
      }
    }
    expect(checked).toBeGreaterThan(1000)
  })

  it('inspect() finds the same rules and targets as the reference on every corpus payload in every kind of value', () => {
    const differences: string[] = []
    for (const line of corpusLines()) {
      for (const payload of [line, line.toUpperCase(), encodeURIComponent(line)]) {
        const values = placed(payload)
        const want = summary(reference(RULES, [], REQ, values)).join(' ')
        // Twice through the memoising index (the second time its header and cookie values are remembered), once without memo.
        for (const index of [INDEX, INDEX, UNMEMOISED]) {
          const got = summary(inspect(index, [], LIMITS, REQ, values)).join(' ')
          if (got !== want) differences.push(`${payload}: ${got} != ${want}`)
        }
      }
    }
    expect(differences).toEqual([])
  }, 60_000)

  it('inspect() agrees with the reference on the corpus requests, with and without exclusions', async () => {
    const exclusions: Exclusion[] = [
      { rule: 942100, target: targetGlob('body.*') },
      { rule: undefined, target: targetGlob('headers.x-*') },
      { rule: 941110, target: undefined },
    ]
    for (const r of corpusRequests()) {
      const req = toRequest(r)
      const values = requestValues(req)
      if (r.body !== undefined) bodyValues(req.headers.get('content-type'), r.body, values)
      for (const ex of [[], exclusions, []]) {
        for (const index of [INDEX, UNMEMOISED]) expect(summary(inspect(index, ex, LIMITS, req, values))).toEqual(summary(reference(RULES, ex, req, values)))
      }
    }
  })

  it('agrees on random strings built from pattern and corpus fragments', () => {
    // Deterministic: a failure reproduces.
    let seed = 0x2545f491
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / 0x1000000
    const fragments = [...corpusLines().flatMap((l) => l.split(/(?<=\W)/)), ...RULES.flatMap((r) => r.keywords ?? []), ' ', '\t', '\n', '/', '"', "'"]
    const differences: string[] = []
    for (let n = 0; n < 3000; n++) {
      let s = ''
      const parts = 1 + Math.floor(random() * 8)
      for (let p = 0; p < parts; p++) s += fragments[Math.floor(random() * fragments.length)]
      const values = placed(s)
      const got = summary(inspect(INDEX, [], LIMITS, REQ, values)).join(' ')
      const want = summary(reference(RULES, [], REQ, values)).join(' ')
      if (got !== want) differences.push(`${s}: ${got} != ${want}`)
    }
    expect(differences).toEqual([])
  }, 30_000)
})

describe('requiredChars', () => {
  const show = (r: ReturnType<typeof requiredChars>) => {
    const chars = (w: readonly number[]) => {
      let s = ''
      for (let c = 32; c < 128; c++) if (((w[c >> 5] as number) & (1 << (c & 31))) !== 0) s += String.fromCharCode(c)
      return s
    }
    return { all: chars(r.all), any: r.any.map(chars) }
  }

  it('requires the literal characters of every branch of a sequence, and one per alternative', () => {
    expect(show(requiredChars('<\\?php'))).toEqual({ all: '<?hp', any: [] })
    expect(show(requiredChars("['\"] ?(?:or|&&)"))).toEqual({ all: '', any: ['"\'', '&o'] })
    expect(show(requiredChars('UNION'))).toEqual({ all: 'inou', any: [] })
  })

  it('requires nothing of optional parts, lookarounds, back-references, negated classes and dots', () => {
    for (const source of ['a?', 'a*', '(?:ab){0,2}', '(?=a)', '(?<!a)', '(?:)\\1', '[^a]', '.', 'a|', '\\W', '\\ca', '[\\1]', '(?<x>a?)\\k<x>']) {
      expect(show(requiredChars(source)), source).toEqual({ all: '', any: [] })
    }
    expect(show(requiredChars('(a)\\1'))).toEqual({ all: 'a', any: [] })
  })
})
