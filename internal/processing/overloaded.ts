import { durationFromMs } from '@bufbuild/protobuf/wkt'
import { Code, ConnectError } from '@connectrpc/connect'
import { OverloadedSchema } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'

/**
 * SubmitTask's answer to a full queue: RESOURCE_EXHAUSTED with an `Overloaded` detail (the
 * gateway's OVERLOADED) and the same hint as a `retry-after` header, in whole seconds.
 */
export function overloaded(queueCapacity: number, retryAfterMs: number): ConnectError {
  return new ConnectError(
    `the task queue is full (${queueCapacity} waiting): retry in ${Math.ceil(retryAfterMs / 1000)} s`,
    Code.ResourceExhausted,
    { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) },
    [{ desc: OverloadedSchema, value: { retryAfter: durationFromMs(retryAfterMs), queueCapacity } }],
  )
}
