import { formatProblem } from './format.ts'
import type { BundleProblem } from './types.ts'

/** A bundle that must not be applied: every problem found, sorted by file, line and column. */
export class BundleError extends Error {
  override name = 'BundleError'
  readonly problems: readonly BundleProblem[]

  constructor(problems: readonly BundleProblem[]) {
    const sorted = [...problems].sort(compareProblems)
    super(sorted.map(formatProblem).join('\n'))
    this.problems = sorted
  }
}

function compareProblems(a: BundleProblem, b: BundleProblem): number {
  const x = a.location
  const y = b.location
  if (x.file !== y.file) return x.file < y.file ? -1 : 1
  return x.line - y.line || x.column - y.column || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
}
