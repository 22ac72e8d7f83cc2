/**
 * In-process leases on resumable uploads: one WriteUpload, CompleteUpload or AbortUpload at a
 * time per upload. A holder whose call is already over (its signal aborted: the client went
 * away) is finishing its commit, so callers wait for it instead of failing; a live holder makes
 * `acquire` return undefined (the caller answers ABORTED).
 */
export interface Leases {
  /** Waits for a holder whose call is over; then takes the lease, or undefined if a live call holds it. */
  acquire(id: string, signal: AbortSignal): Promise<(() => void) | undefined>
  /** Waits until no finished-but-committing holder remains (GetUpload's view after a broken stream). */
  settled(id: string): Promise<void>
}

interface Holder {
  readonly signal: AbortSignal
  readonly released: Promise<void>
}

export function createLeases(): Leases {
  const held = new Map<string, Holder>()

  async function settled(id: string): Promise<void> {
    for (let h = held.get(id); h?.signal.aborted; h = held.get(id)) await h.released
  }

  return {
    settled,
    async acquire(id, signal) {
      await settled(id)
      if (held.has(id)) return undefined
      let release = () => {}
      const released = new Promise<void>((resolve) => {
        release = () => {
          if (held.get(id)?.released === released) held.delete(id)
          resolve()
        }
      })
      held.set(id, { signal, released })
      return release
    },
  }
}
