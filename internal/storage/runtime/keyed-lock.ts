/** Serializes async work per key (one process per data directory: this is the only lock needed). */
export interface KeyedLock {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>
}

export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>()
  return {
    async run(key, fn) {
      const previous = tails.get(key) ?? Promise.resolve()
      const current = previous.catch(() => {}).then(fn)
      const tail = current.catch(() => {})
      tails.set(key, tail)
      try {
        return await current
      } finally {
        if (tails.get(key) === tail) tails.delete(key)
      }
    },
  }
}
