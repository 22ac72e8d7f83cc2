/**
 * Runs a zod schema and turns its issues into findings an operator can act on: a path, a short
 * message without zod jargon, and whether to point at the key or the value. Unknown keys become
 * one finding per key, at the key, with the nearest known key as a suggestion.
 */
import type { z } from 'zod'
import { didYouMean } from './suggest.ts'
import type { PathSegment, Target } from './yaml-source.ts'

export interface Finding {
  readonly path: readonly PathSegment[]
  readonly message: string
  readonly target: Target
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly findings: Finding[] }

type Issue = z.core.$ZodIssue
type RawIssue = z.core.$ZodRawIssue

/** Validates `input`; on failure returns every problem zod found, in operator language. */
export function check<S extends z.ZodType>(schema: S, input: unknown): Checked<z.output<S>> {
  // The keys each strict object allows, keyed by the issue's `keys` array (kept by reference).
  const allowed = new WeakMap<readonly string[], readonly string[]>()
  const result = schema.safeParse(input, {
    reportInput: true,
    error(issue) {
      if (issue.code === 'unrecognized_keys') allowed.set(issue.keys, shapeKeys(issue.inst))
      return messageFor(issue)
    },
  })
  if (result.success) return { ok: true, value: result.data }
  return { ok: false, findings: result.error.issues.flatMap((issue) => findings(issue, [], allowed)) }
}

function findings(issue: Issue, prefix: readonly PathSegment[], allowed: WeakMap<readonly string[], readonly string[]>): Finding[] {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))]
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: [...path, key],
        target: 'key',
        message: `unknown key "${key}"${didYouMean(key, allowed.get(issue.keys) ?? [])}`,
      }))
    case 'invalid_key':
      return [{ path, target: 'key', message: `invalid name ${JSON.stringify(path.at(-1))}: ${issue.issues[0]?.message ?? 'not allowed'}` }]
    case 'invalid_union': {
      // Report the alternative whose type matched (its issues are the real ones), else "expected A or B".
      const typeMismatch = (branch: readonly Issue[]) =>
        branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0
      const matched = issue.errors.find((branch) => branch.length > 0 && !typeMismatch(branch))
      if (matched) return matched.flatMap((inner) => findings(inner, path, allowed))
      const expected = issue.errors.flatMap((b) => (b[0]?.code === 'invalid_type' ? [noun(b[0].expected)] : []))
      if (expected.length > 0 && 'input' in issue) {
        return [{ path, target: 'value', message: `expected ${[...new Set(expected)].join(' or ')}, received ${kindOf(issue.input)}` }]
      }
      return [{ path, target: 'value', message: issue.message }]
    }
    case 'invalid_type':
      if ('input' in issue && issue.input === undefined && path.length > 0) {
        return [{ path: path.slice(0, -1), target: 'value', message: `missing required key "${String(path.at(-1))}"` }]
      }
      return [{ path, target: 'value', message: issue.message }]
    default:
      return [{ path, target: 'value', message: issue.message }]
  }
}

/** The default message of each issue kind (a schema's own message, when it has one, wins). */
function messageFor(issue: RawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${noun(issue.expected)}, received ${kindOf(issue.input)}`
    case 'invalid_value': {
      const [only, ...more] = issue.values
      if (more.length === 0) return `expected ${show(only)}, received ${show(issue.input)}`
      const hint = typeof issue.input === 'string' ? didYouMean(issue.input, issue.values.map(String)) : ''
      return `expected one of ${issue.values.map(show).join(', ')}, received ${show(issue.input)}${hint}`
    }
    case 'too_small':
      return sizeMessage(issue.origin, 'least', Number(issue.minimum), issue.inclusive !== false)
    case 'too_big':
      return sizeMessage(issue.origin, 'most', Number(issue.maximum), issue.inclusive !== false)
    case 'invalid_format':
      return issue.format === 'regex'
        ? `${show(issue.input)} does not match ${issue.pattern ?? 'the expected pattern'}`
        : `${show(issue.input)} is not a valid ${issue.format}`
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`
    case 'invalid_union':
      return issue.discriminator ? `invalid or missing "${issue.discriminator}"` : 'invalid value'
    default:
      return 'invalid value'
  }
}

function sizeMessage(origin: string, bound: 'least' | 'most', n: number, inclusive: boolean): string {
  if (origin === 'array' || origin === 'set') {
    return bound === 'least' && n === 1 ? 'must not be empty' : `must have at ${bound} ${n} item${n === 1 ? '' : 's'}`
  }
  if (origin === 'string') {
    return bound === 'least' && n === 1 ? 'must not be empty' : `must be at ${bound} ${n} character${n === 1 ? '' : 's'} long`
  }
  const op = bound === 'least' ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<'
  return `must be ${op} ${n}`
}

function shapeKeys(inst: unknown): readonly string[] {
  const shape = (inst as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def?.shape
  return shape && typeof shape === 'object' ? Object.keys(shape) : []
}

/** YAML words for zod's type names. */
function noun(expected: string): string {
  return expected === 'object' || expected === 'record' ? 'map' : expected === 'array' ? 'list' : expected
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'list'
  return typeof value === 'object' ? 'map' : typeof value
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}
