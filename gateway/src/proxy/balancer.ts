/** Round robin over a fixed list; `next()` returns the endpoints in turn. */
export function roundRobin<T>(items: readonly T[]): { next(): T; readonly size: number } {
  if (items.length === 0) throw new TypeError('roundRobin needs at least one item')
  let i = 0
  return {
    size: items.length,
    next() {
      const item = items[i] as T
      i = (i + 1) % items.length
      return item
    },
  }
}
