import { checkNotNegative } from './keys.ts'
import { notLeader, staleEpoch } from './errors.ts'

/**
 * What a metadata node knows about leadership (metadata.proto, "Leadership" and "Epochs").
 * A clustered mode supplies it from its consensus engine; the embedded node is `singleNode()`.
 */
export interface LeaderInfo {
  /** The current leader's epoch as this node knows it (its own when it leads); 0 when unknown. */
  epoch(): bigint
  isLeader(): boolean
  /** The leader's base URL ("http://10.0.0.7:7003"); empty while no leader is known. */
  leaderAddress(): string
}

/** The embedded single node: always the leader, one term for its whole life (its log is the only history). */
export const singleNode = (address: string, epoch = 1n): LeaderInfo => ({
  epoch: () => epoch,
  isLeader: () => true,
  leaderAddress: () => address,
})

/** UNAVAILABLE + NotLeader (with the leader's address and epoch) unless this node leads. */
export function requireLeader(node: LeaderInfo): void {
  if (!node.isLeader()) throw notLeader(node.leaderAddress(), node.epoch())
}

/**
 * Fences a write by the epoch its client believes current: 0 is not fenced; below the leader's
 * epoch is ABORTED + StaleEpoch; above it means this node was deposed without knowing its
 * successor: UNAVAILABLE + NotLeader with no address.
 */
export function fenceEpoch(node: LeaderInfo, requestEpoch: bigint): void {
  checkNotNegative('epoch', requestEpoch)
  if (requestEpoch === 0n) return
  const current = node.epoch()
  if (requestEpoch < current) throw staleEpoch(current, requestEpoch)
  if (requestEpoch > current) {
    throw notLeader('', 0n, `epoch ${requestEpoch} is above this node's epoch ${current}, so this node was deposed`)
  }
}
