import { Code, ConnectError } from '@connectrpc/connect'
import { NotLeaderSchema } from '../../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { normalizeUrl } from './discovery.ts'
import { markNotSent } from './retry.ts'

/**
 * NOT_LEADER (proto/README.md): `unavailable` with a `gatehouse.metadata.v1.NotLeader` detail;
 * the request had no effect, whatever the method. With a leader address the call is resent
 * there once; without one (an election in progress) the error is marked "not sent", so it is
 * retried like a refused connection (backoff, budget), for any method.
 */

export interface NotLeaderInfo {
  /** The leader's base URL (normalised), or undefined while no leader is known. */
  leader: string | undefined
}

/** The NotLeader detail of an error, or undefined when it is not one. */
export function notLeader(err: ConnectError): NotLeaderInfo | undefined {
  if (err.code !== Code.Unavailable) return undefined
  const detail = err.findDetails(NotLeaderSchema)[0]
  if (!detail) return undefined
  markNotSent(err)
  let leader: string | undefined
  try {
    leader = detail.leaderAddress ? normalizeUrl(detail.leaderAddress) : undefined
  } catch {
    leader = undefined // not a usable URL: treat as "no leader known"
  }
  return { leader }
}

/** The leader last learned from a NotLeader error, for `ttlMs`: later calls try it first. */
export interface LeaderHint {
  get(): string | undefined
  set(url: string): void
}

export function createLeaderHint(ttlMs: number, now: () => number): LeaderHint {
  let hint: { url: string; until: number } | undefined
  return {
    get() {
      if (hint && hint.until <= now()) hint = undefined
      return hint?.url
    },
    set(url) {
      hint = { url, until: now() + ttlMs }
    },
  }
}
