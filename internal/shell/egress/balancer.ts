import type { Endpoint } from './discovery.ts'

/**
 * Picks one endpoint among the candidates the caller considers usable (breaker allows, not yet
 * tried by this call when there is a choice). Zone preference first: when the caller's zone has
 * candidates, only they are considered. Then the policy:
 * - `round_robin`: each in turn;
 * - `least_request`: power of two choices, two distinct candidates drawn at random and the one
 *   with fewer requests in flight wins (ties go to the first drawn). Cheap, and it steers load
 *   away from a slow endpoint without the herding of a global least-loaded pick.
 */

export type BalancePolicy = 'round_robin' | 'least_request'

export interface BalancerOptions {
  policy: BalancePolicy
  /** The caller's zone; undefined = no preference. */
  zone: string | undefined
  /** [0, 1) like Math.random; injected for deterministic tests. */
  random: () => number
}

export interface Balancer {
  pick(candidates: readonly Endpoint[]): Endpoint | undefined
  /** Counts a request to `url` as in flight; the returned function ends it (idempotent). */
  begin(url: string): () => void
  inFlight(url: string): number
}

/** The candidates in `zone`, or all of them when the zone has none (or no zone is set). */
export function preferZone(candidates: readonly Endpoint[], zone: string | undefined): readonly Endpoint[] {
  if (zone === undefined) return candidates
  const local = candidates.filter((e) => e.zone === zone)
  return local.length > 0 ? local : candidates
}

export function createBalancer({ policy, zone, random }: BalancerOptions): Balancer {
  const inFlight = new Map<string, number>()
  let next = 0
  const load = (url: string) => inFlight.get(url) ?? 0
  const draw = (n: number) => Math.min(n - 1, Math.floor(random() * n))

  return {
    pick(candidates) {
      const pool = preferZone(candidates, zone)
      if (pool.length <= 1) return pool[0]
      if (policy === 'round_robin') {
        const e = pool[next % pool.length]
        next = (next + 1) % Number.MAX_SAFE_INTEGER
        return e
      }
      const i = draw(pool.length)
      let j = draw(pool.length - 1)
      if (j >= i) j++
      const a = pool[i]!
      const b = pool[j]!
      return load(b.url) < load(a.url) ? b : a
    },
    begin(url) {
      inFlight.set(url, load(url) + 1)
      let ended = false
      return () => {
        if (ended) return
        ended = true
        const left = load(url) - 1
        if (left > 0) inFlight.set(url, left)
        else inFlight.delete(url)
      }
    },
    inFlight: load,
  }
}
