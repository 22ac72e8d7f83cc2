import { createHash } from 'node:crypto'
import { create } from '@bufbuild/protobuf'
import { Code, ConnectError } from '@connectrpc/connect'
import { CompressObjectResultSchema } from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type {
  CompressObjectInput,
  CompressObjectResult,
} from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { CODECS, compressChunks } from './compress-stream.ts'
import type { KindContext, TaskKind } from './kind.ts'
import { checkBucket, checkKey } from './names.ts'
import { canceled, openObject, unlessAborted } from './read-object.ts'
import type { OpenedObject } from './read-object.ts'
import { checkSha256 } from './verify.ts'
import { writeUpload } from './write-upload.ts'

/** The copy's key: `target_key`, or the source key plus ".gz" / ".br". */
export function targetKeyOf(input: CompressObjectInput): string {
  return input.targetKey !== '' ? input.targetKey : `${input.key}${CODECS.get(input.codec)?.suffix ?? ''}`
}

/**
 * "Compress an object": streams the source with GetObject through gzip or Brotli into a
 * resumable upload in the same bucket, and completes it with the SHA-256 computed on the way, so
 * the copy becomes visible whole or not at all. A canceled or failed task aborts its upload.
 * CompleteUpload is the commit point: it is not interrupted by a cancel (see README.md).
 */
export const compressObject: TaskKind<CompressObjectInput, CompressObjectResult> = {
  validate(input) {
    checkBucket('input.compress_object.bucket', input.bucket)
    checkKey('input.compress_object.key', input.key)
    if (!CODECS.has(input.codec)) {
      throw new ConnectError(`input.compress_object.codec: unsupported codec ${input.codec} (gzip or Brotli)`, Code.InvalidArgument)
    }
    const target = targetKeyOf(input)
    checkKey('input.compress_object.target_key', target)
    if (target === input.key) {
      throw new ConnectError('input.compress_object.target_key: equal to the source key', Code.InvalidArgument)
    }
  },

  async run(input, context) {
    const { storage, signal } = context
    const { bucket } = input
    const key = targetKeyOf(input)
    const source = await openObject(storage, input, signal)
    // Not aborted with the signal, so that an upload created after a cancel is known and aborted.
    const creating = storage.createUpload({ bucket, key, contentType: CODECS.get(input.codec)!.contentType })
    const { upload } = await unlessAborted(creating, signal).catch((err: unknown) => {
      void creating.then(({ upload: late }) => late && storage.abortUpload({ bucket, uploadId: late.uploadId })).catch(() => undefined)
      throw err
    })
    if (!upload) throw new ConnectError('storage: CreateUpload returned no upload', Code.Internal)
    const { uploadId } = upload
    try {
      const sourceSha256 = createHash('sha256')
      const written = await writeUpload(
        storage,
        { bucket, uploadId },
        compressChunks(countSource(source, sourceSha256, context), input.codec),
        signal,
      )
      checkSha256(input, new Uint8Array(sourceSha256.digest()), source.object.sha256)
      if (signal.aborted) throw canceled()
      context.progress(source.length, source.length, 'completing upload')
      const { object } = await storage.completeUpload({ bucket, uploadId, sha256: written.sha256 })
      if (!object) throw new ConnectError('storage: CompleteUpload returned no object', Code.Internal)
      return create(CompressObjectResultSchema, {
        bucket,
        key,
        generation: object.generation,
        size: object.size,
        sha256: object.sha256,
        sourceSize: source.length,
        sourceGeneration: source.object.generation,
      })
    } catch (err) {
      // Best effort: an upload left ACTIVE (storage unreachable) expires on its own.
      await storage.abortUpload({ bucket, uploadId }).catch(() => undefined)
      throw err
    }
  },
}

/** The source's chunks, hashed (to check them against storage's SHA-256) and counted as progress. */
async function* countSource(
  source: OpenedObject,
  sha256: ReturnType<typeof createHash>,
  { progress }: KindContext,
): AsyncGenerator<Uint8Array> {
  let done = 0n
  progress(done, source.length, 'compressing')
  for await (const chunk of source.chunks) {
    sha256.update(chunk)
    done += BigInt(chunk.byteLength)
    progress(done, source.length, 'compressing')
    yield chunk
  }
}
