import { Code, ConnectError } from '@connectrpc/connect'
import type { DescService } from '@bufbuild/protobuf'
import type { ServiceImpl } from '@connectrpc/connect'
import { ChecksumMismatchSchema, UploadOffsetMismatchSchema } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { hex } from './bytes.ts'

/** The storage service's errors: Connect codes only (STYLE 3.4), with the proto's details. */
export const invalidArgument = (message: string) => new ConnectError(message, Code.InvalidArgument)
export const notFound = (message: string) => new ConnectError(message, Code.NotFound)
export const alreadyExists = (message: string) => new ConnectError(message, Code.AlreadyExists)
export const failedPrecondition = (message: string) => new ConnectError(message, Code.FailedPrecondition)
export const outOfRange = (message: string) => new ConnectError(message, Code.OutOfRange)
export const aborted = (message: string) => new ConnectError(message, Code.Aborted)

export const bucketNotFound = (bucket: string) => notFound(`bucket "${bucket}" not found`)
export const objectNotFound = (bucket: string, key: string) =>
  notFound(`object "${key}" not found in bucket "${bucket}"`)
export const uploadNotFound = (bucket: string, uploadId: string) =>
  notFound(`upload "${uploadId}" not found in bucket "${bucket}"`)

/** FAILED_PRECONDITION for an `if_generation_match` that does not hold (current 0n = absent). */
export function generationMismatch(key: string, expected: bigint, current: bigint): ConnectError {
  const actual = current === 0n ? 'the key does not exist' : `its generation is ${current}`
  return failedPrecondition(`if_generation_match ${expected} does not hold for "${key}": ${actual}`)
}

/** INVALID_ARGUMENT with a ChecksumMismatch detail. */
export function checksumMismatch(expected: Uint8Array, actual: Uint8Array, what: string): ConnectError {
  return new ConnectError(
    `${what}: sha256 mismatch: declared ${hex(expected)}, received ${hex(actual)}; nothing was written`,
    Code.InvalidArgument,
    undefined,
    [{ desc: ChecksumMismatchSchema, value: { expectedSha256: expected, actualSha256: actual } }],
  )
}

/** ABORTED with an UploadOffsetMismatch detail. */
export function uploadOffsetMismatch(offset: bigint, committed: number): ConnectError {
  return new ConnectError(
    `offset ${offset} is not the upload's committed offset ${committed}: continue from ${committed}`,
    Code.Aborted,
    undefined,
    [{ desc: UploadOffsetMismatchSchema, value: { committedOffset: BigInt(committed) } }],
  )
}

/** Anything that is not a ConnectError (a failing disk, a bug) becomes INTERNAL; the cause stays for logs. */
export function toConnectError(reason: unknown): ConnectError {
  if (reason instanceof ConnectError) return reason
  return new ConnectError('internal storage error', Code.Internal, undefined, undefined, reason)
}

type AnyFn = (...args: unknown[]) => unknown

/** Wraps every method so that the service throws only ConnectError (unary, client and server streams). */
export function guarded<S extends DescService>(service: S, impl: ServiceImpl<S>): ServiceImpl<S> {
  const out: Record<string, AnyFn> = {}
  for (const [name, fn] of Object.entries(impl as Record<string, AnyFn>)) {
    const kind = service.method[name]?.methodKind
    out[name] =
      kind === 'server_streaming'
        ? async function* (...args: unknown[]) {
            try {
              yield* fn(...args) as AsyncIterable<unknown>
            } catch (e) {
              throw toConnectError(e)
            }
          }
        : async (...args: unknown[]) => {
            try {
              return await fn(...args)
            } catch (e) {
              throw toConnectError(e)
            }
          }
  }
  return out as unknown as ServiceImpl<S>
}
