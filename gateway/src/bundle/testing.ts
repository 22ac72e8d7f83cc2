/** Helpers for the bundle tests (imported only by *.test.ts). */
import { formatProblem } from './format.ts'
import { BundleError, loadBundle } from './load.ts'
import type { SourceLocation } from './types.ts'

/** `file:line:column` of the first occurrence of `needle` in `text` (the nth with `nth`), 1-based. */
export function at(file: string, text: string, needle: string, nth = 1): string {
  let index = -1
  for (let i = 0; i < nth; i++) {
    index = text.indexOf(needle, index + 1)
    if (index < 0) throw new Error(`fixture ${file} has no ${JSON.stringify(needle)} #${nth}`)
  }
  const before = text.slice(0, index)
  const line = before.split('\n').length
  const column = index - before.lastIndexOf('\n')
  return `${file}:${line}:${column}`
}

/** `at()` as a SourceLocation. */
export function locationOf(file: string, text: string, needle: string, nth = 1): SourceLocation {
  const [line, column] = at(file, text, needle, nth).slice(file.length + 1).split(':').map(Number)
  return { file, line: line ?? 0, column: column ?? 0 }
}

/** The formatted problems of a bundle that must fail to load. */
export async function problemsOf(files: Readonly<Record<string, string>>): Promise<string[]> {
  try {
    await loadBundle(Object.entries(files).map(([path, text]) => ({ path, text })))
  } catch (err) {
    if (err instanceof BundleError) return err.problems.map(formatProblem)
    throw err
  }
  throw new Error('expected the bundle to be refused')
}

/** A valid service file that other fixtures can lean on. */
export const SERVICES_FILE = `services:
  demo:
    endpoints:
      - url: http://127.0.0.1:8081
policies:
  add-tag:
    type: headers
    response: { set: { x-served-by: gatehouse } }
`
