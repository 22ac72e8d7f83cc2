import { NodeRole } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { createChangeSignal, type ChangeSignal, type Timers } from './change-signal.ts'
import type { Registration } from './registry-validate.ts'

/** A registration with its lease. Times are Unix ms. */
export interface Lease extends Registration {
  readonly registerTime: number
  readonly expireTime: number
}

export interface NodeFilter {
  readonly role: NodeRole
  readonly zone: string
}

/**
 * The registry's leases, in the leader's memory. Expired leases vanish from every read at once
 * (reads compare with the clock), and a timer set for the earliest expiry removes them and wakes
 * watchers. `changes` fires when the set of nodes or what they advertise changes; renewals
 * (heartbeats) do not fire it.
 */
export interface LeaseTable {
  /** Registers or replaces a node's registration and starts a new lease. */
  upsert(registration: Registration): Lease
  /** Extends a live lease by its TTL; undefined when the node is not registered. */
  renew(nodeId: string): Lease | undefined
  remove(nodeId: string): void
  /** Live leases matching the filter, ordered by node id. */
  list(filter: NodeFilter): Lease[]
  readonly changes: ChangeSignal
}

/** What watchers see of a lease: everything but its times (a heartbeat is not a change). */
export const advertised = (l: Lease): string =>
  JSON.stringify([l.nodeId, l.role, l.address, l.zone, Object.entries(l.labels).sort(([a], [b]) => (a < b ? -1 : 1))])

export function createLeaseTable(clock: () => number, timers: Timers): LeaseTable {
  const leases = new Map<string, Lease>()
  const changes = createChangeSignal(timers)
  let timer: unknown
  let timerAt = Infinity

  function sweep(): void {
    const now = clock()
    let removed = false
    for (const [id, lease] of leases) {
      if (lease.expireTime > now) continue
      leases.delete(id)
      removed = true
    }
    if (removed) changes.notify()
    schedule()
  }

  function schedule(): void {
    let earliest = Infinity
    for (const lease of leases.values()) earliest = Math.min(earliest, lease.expireTime)
    if (earliest === timerAt) return
    if (timer !== undefined) timers.clearTimeout(timer)
    timer = undefined
    timerAt = earliest
    if (earliest === Infinity) return
    timer = timers.setTimeout(() => {
      timer = undefined
      timerAt = Infinity
      sweep()
    }, Math.max(0, earliest - clock()))
  }

  return {
    changes,
    upsert(registration) {
      sweep()
      const now = clock()
      const before = leases.get(registration.nodeId)
      const lease = { ...registration, registerTime: now, expireTime: now + registration.ttlMs }
      leases.set(lease.nodeId, lease)
      schedule()
      if (!before || advertised(before) !== advertised(lease)) changes.notify()
      return lease
    },
    renew(nodeId) {
      sweep()
      const lease = leases.get(nodeId)
      if (!lease) return undefined
      const renewed = { ...lease, expireTime: clock() + lease.ttlMs }
      leases.set(nodeId, renewed)
      schedule()
      return renewed
    },
    remove(nodeId) {
      sweep()
      if (leases.delete(nodeId)) changes.notify()
      schedule()
    },
    list({ role, zone }) {
      sweep()
      return [...leases.values()]
        .filter((l) => (role === NodeRole.UNSPECIFIED || l.role === role) && (zone === '' || l.zone === zone))
        .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0))
    },
  }
}
