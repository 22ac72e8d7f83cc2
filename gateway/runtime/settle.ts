/**
 * Decides when a watched set of files has changed and settled: a new snapshot must be seen in
 * two consecutive polls before it counts. An editor that truncates then writes (or a copy in
 * progress) is never caught half-way: an empty or partial file can be a valid bundle.
 */
export function createSettler(): (snapshot: string) => boolean {
  let settled: string | undefined
  let candidate: string | undefined
  return (snapshot) => {
    if (settled === undefined) {
      settled = snapshot // the state at start is what was loaded
      return false
    }
    if (snapshot === settled) {
      candidate = undefined // changed and changed back: nothing to do
      return false
    }
    if (snapshot !== candidate) {
      candidate = snapshot // new: wait one more poll
      return false
    }
    settled = snapshot
    candidate = undefined
    return true
  }
}
