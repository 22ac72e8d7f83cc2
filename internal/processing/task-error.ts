import { create } from '@bufbuild/protobuf'
import { Code, ConnectError } from '@connectrpc/connect'
import { TaskErrorSchema } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { TaskError } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'

/** Connect's code names as in its JSON errors (Connect's own table is `@private`, so we keep ours). */
const CODE_NAMES: Readonly<Record<Code, string>> = {
  [Code.Canceled]: 'canceled',
  [Code.Unknown]: 'unknown',
  [Code.InvalidArgument]: 'invalid_argument',
  [Code.DeadlineExceeded]: 'deadline_exceeded',
  [Code.NotFound]: 'not_found',
  [Code.AlreadyExists]: 'already_exists',
  [Code.PermissionDenied]: 'permission_denied',
  [Code.ResourceExhausted]: 'resource_exhausted',
  [Code.FailedPrecondition]: 'failed_precondition',
  [Code.Aborted]: 'aborted',
  [Code.OutOfRange]: 'out_of_range',
  [Code.Unimplemented]: 'unimplemented',
  [Code.Internal]: 'internal',
  [Code.Unavailable]: 'unavailable',
  [Code.DataLoss]: 'data_loss',
  [Code.Unauthenticated]: 'unauthenticated',
}

/**
 * Why a task failed, for `Task.error`. Storage errors keep their code and message (a missing
 * source object is "not_found"); anything that is not a ConnectError is a bug of ours and is
 * reported as "internal" without its text (never a stack trace).
 */
export function toTaskError(err: unknown): TaskError {
  if (err instanceof ConnectError) {
    return create(TaskErrorSchema, { code: CODE_NAMES[err.code] ?? 'unknown', message: err.rawMessage })
  }
  return create(TaskErrorSchema, { code: 'internal', message: 'internal error' })
}
