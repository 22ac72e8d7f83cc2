/** Timer functions, injectable so that tests drive time themselves. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const realTimers: Timers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms)
    // A pending sweep or progress timer must not keep a process alive on its own.
    ;(handle as { unref?: () => void }).unref?.()
    return handle
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

export type WakeReason = 'change' | 'timeout' | 'abort'

/**
 * Wakes every waiter at the next `notify()`: the edge that watch loops sleep on. Waiters re-read
 * the state after waking, so changes that happen before they run again coalesce into one wake.
 */
export interface ChangeSignal {
  notify(): void
  /** Resolves at the next notify, after `timeoutMs` (if given), or when `signal` aborts. */
  wait(options: { signal: AbortSignal; timeoutMs?: number }): Promise<WakeReason>
}

export function createChangeSignal(timers: Timers = realTimers): ChangeSignal {
  const waiters = new Set<(reason: WakeReason) => void>()
  return {
    notify() {
      const woken = [...waiters]
      waiters.clear()
      for (const wake of woken) wake('change')
    },
    wait({ signal, timeoutMs }) {
      if (signal.aborted) return Promise.resolve('abort')
      return new Promise<WakeReason>((resolve) => {
        const done = (reason: WakeReason): void => {
          waiters.delete(done)
          signal.removeEventListener('abort', onAbort)
          if (timer !== undefined) timers.clearTimeout(timer)
          resolve(reason)
        }
        const onAbort = (): void => done('abort')
        const timer = timeoutMs === undefined ? undefined : timers.setTimeout(() => done('timeout'), timeoutMs)
        signal.addEventListener('abort', onAbort, { once: true })
        waiters.add(done)
      })
    },
  }
}
