import { Code, ConnectError } from '@connectrpc/connect'
import {
  NotLeaderSchema,
  RevisionCompactedSchema,
  StaleEpochSchema,
  VersionConflictSchema,
} from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'

/**
 * Every failure of the metadata role, as the `ConnectError` its contract names (metadata.proto).
 * The details are the typed messages clients read with `err.findDetails(XxxSchema)`.
 */

/** A key, prefix or id quoted for a message: JSON-escaped (no raw control characters), cut at 80. */
export function quote(text: string): string {
  const cut = [...text]
  return JSON.stringify(cut.length > 80 ? `${cut.slice(0, 80).join('')}…` : text)
}

export const invalidArgument = (message: string): ConnectError => new ConnectError(message, Code.InvalidArgument)

export const recordNotFound = (key: string): ConnectError =>
  new ConnectError(`record ${quote(key)} not found`, Code.NotFound)

export function versionConflict(key: string, expected: bigint, current: bigint): ConnectError {
  const why =
    current === 0n
      ? `record ${quote(key)} does not exist (expected version ${expected})`
      : expected === 0n
        ? `record ${quote(key)} already exists at version ${current} (expected it not to exist)`
        : `record ${quote(key)} is at version ${current}, not the expected ${expected}`
  return new ConnectError(why, Code.Aborted, undefined, [
    { desc: VersionConflictSchema, value: { key, expectedVersion: expected, currentVersion: current } },
  ])
}

export const staleEpoch = (current: bigint, requested: bigint): ConnectError =>
  new ConnectError(`epoch ${requested} is stale: the leader's epoch is ${current}`, Code.Aborted, undefined, [
    { desc: StaleEpochSchema, value: { currentEpoch: current, requestEpoch: requested } },
  ])

/** UNAVAILABLE + NotLeader; `leaderAddress` empty (and epoch 0) while no leader is known. */
export function notLeader(leaderAddress: string, epoch: bigint, why = 'this node is not the metadata leader'): ConnectError {
  const where = leaderAddress ? `the leader is ${leaderAddress}` : 'no leader is known, retry later'
  return new ConnectError(`${why}; ${where}`, Code.Unavailable, undefined, [
    { desc: NotLeaderSchema, value: { leaderAddress, epoch: leaderAddress ? epoch : 0n } },
  ])
}

export const revisionCompacted = (compactRevision: bigint, start: bigint): ConnectError =>
  new ConnectError(
    `revision ${start} was compacted away: watch from a revision above ${compactRevision} (list again first)`,
    Code.OutOfRange,
    undefined,
    [{ desc: RevisionCompactedSchema, value: { compactRevision } }],
  )

export const storeClosed = (): ConnectError => new ConnectError('the metadata store is closed', Code.Unavailable)

/** A commit whose log write failed: its outcome is unknown, and the store accepts no more writes. */
export const commitFailed = (cause: unknown): ConnectError =>
  new ConnectError('the metadata log write failed; the outcome of this write is unknown', Code.Internal, undefined, undefined, cause)

export const storeFailed = (cause: unknown): ConnectError =>
  new ConnectError('the metadata log failed earlier; the node must restart to recover', Code.Unavailable, undefined, undefined, cause)

/** The on-disk state cannot be trusted: the store refuses to open rather than serve a corrupt read. */
export const dataLoss = (message: string): ConnectError => new ConnectError(message, Code.DataLoss)
