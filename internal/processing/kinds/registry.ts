import { create } from '@bufbuild/protobuf'
import { Code, ConnectError } from '@connectrpc/connect'
import { TaskResultSchema } from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { TaskInput, TaskResult } from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { compressObject } from './compress-object.ts'
import { digestObject } from './digest-object.ts'
import type { KindContext } from './kind.ts'

// The task kinds, by the case of `TaskInput.kind`. A new kind is a module in this folder plus
// one case in each switch below (the compiler checks the result's case matches the input's).

/** Throws ConnectError INVALID_ARGUMENT when `input` names no kind or its kind rejects it. */
export function validateInput(input: TaskInput | undefined): asserts input is TaskInput {
  switch (input?.kind.case) {
    case 'digestObject':
      return digestObject.validate(input.kind.value)
    case 'compressObject':
      return compressObject.validate(input.kind.value)
    default:
      throw new ConnectError('input: a task kind is required (digest_object or compress_object)', Code.InvalidArgument)
  }
}

/** Runs a validated input on the current worker; the result's case is the input's. */
export async function runInput(input: TaskInput, context: KindContext): Promise<TaskResult> {
  switch (input.kind.case) {
    case 'digestObject':
      return create(TaskResultSchema, {
        kind: { case: 'digestObject', value: await digestObject.run(input.kind.value, context) },
      })
    case 'compressObject':
      return create(TaskResultSchema, {
        kind: { case: 'compressObject', value: await compressObject.run(input.kind.value, context) },
      })
    default:
      throw new ConnectError('input: no task kind', Code.InvalidArgument)
  }
}
