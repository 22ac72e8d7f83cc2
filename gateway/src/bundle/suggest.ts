/**
 * "Did you mean" for unknown names: the nearest candidate by optimal-string-alignment distance
 * (Levenshtein plus adjacent transpositions, so "timout" -> "timeout" and "haeders" -> "headers").
 */

/** Edits (insert, delete, substitute, swap two adjacent characters) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const width = b.length + 1
  const d: number[] = []
  const get = (i: number, j: number): number => d[i * width + j] ?? 0
  for (let i = 0; i <= a.length; i++) {
    for (let j = 0; j <= b.length; j++) {
      if (i === 0 || j === 0) {
        d[i * width + j] = i + j
        continue
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(get(i - 1, j) + 1, get(i, j - 1) + 1, get(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, get(i - 2, j - 2) + 1)
      }
      d[i * width + j] = best
    }
  }
  return get(a.length, b.length)
}

/** The candidate nearest to `name`, if it is close enough to be a plausible typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3))
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    // Case-only differences count as one edit: "GET" vs "get", "preservehost" vs "preserveHost".
    const d = candidate.toLowerCase() === name.toLowerCase() ? 1 : editDistance(name, candidate)
    if (d < bestDistance && d <= limit && candidate !== name) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

/** ` (did you mean "x"?)`, or an empty string when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const match = closest(name, candidates)
  return match === undefined ? '' : ` (did you mean "${match}"?)`
}
