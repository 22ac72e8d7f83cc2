import { createHash } from 'node:crypto'
import type { MessageInitShape } from '@bufbuild/protobuf'
import { Code, ConnectError } from '@connectrpc/connect'
import type { Client } from '@connectrpc/connect'
import type { StorageService, WriteUploadRequestSchema } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { canceled } from './read-object.ts'

/** What was written: the bytes' count and SHA-256, for CompleteUpload. */
export interface Written {
  readonly size: bigint
  readonly sha256: Uint8Array
}

/**
 * Streams `chunks` into a fresh resumable upload with one WriteUpload call from offset 0,
 * hashing them on the way (the digest is known only at the end: it goes to CompleteUpload).
 * An error of `chunks` (e.g. the source read failing) is rethrown as is, not as the write's
 * error. A broken write is not resumed: the compressed bytes past the committed offset are gone,
 * so the caller aborts the upload and fails the task.
 */
export async function writeUpload(
  storage: Client<typeof StorageService>,
  upload: { bucket: string; uploadId: string },
  chunks: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
): Promise<Written> {
  const hash = createHash('sha256')
  let size = 0n
  let failure: unknown

  async function* requests(): AsyncGenerator<MessageInitShape<typeof WriteUploadRequestSchema>> {
    yield { content: { case: 'header', value: { bucket: upload.bucket, uploadId: upload.uploadId, offset: 0n } } }
    try {
      for await (const chunk of chunks) {
        if (signal.aborted) throw canceled()
        hash.update(chunk)
        size += BigInt(chunk.byteLength)
        yield { content: { case: 'chunk', value: chunk } }
      }
    } catch (err) {
      failure = err
      throw err
    }
  }

  let committed: bigint
  try {
    committed = (await storage.writeUpload(requests(), { signal })).committedOffset
  } catch (err) {
    throw failure ?? err
  }
  if (committed !== size) {
    throw new ConnectError(`storage committed ${committed} of the ${size} bytes written`, Code.DataLoss)
  }
  return { size, sha256: new Uint8Array(hash.digest()) }
}
