import type { Client } from '@connectrpc/connect'
import type { StorageService } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'

/** What a running task can reach: the storage role (east-west), its cancel signal, its progress. */
export interface KindContext {
  readonly storage: Client<typeof StorageService>
  /** Aborted when the task is canceled (or the node closes): stop at the next chunk. */
  readonly signal: AbortSignal
  /** Reports how far the task got, in bytes of its main input (`bytesTotal` 0 = unknown). */
  progress(bytesDone: bigint, bytesTotal: bigint, message: string): void
}

/**
 * One task kind: the case of `TaskInput.kind` it handles, with its typed input and result.
 * `validate` runs at SubmitTask and throws ConnectError INVALID_ARGUMENT; `run` runs on a worker,
 * and its rejections (ConnectErrors of the storage calls, or its own) become `Task.error`.
 */
export interface TaskKind<Input, Result> {
  validate(input: Input): void
  run(input: Input, context: KindContext): Promise<Result>
}
