import { createHash } from 'node:crypto'
import { create } from '@bufbuild/protobuf'
import { Code, ConnectError } from '@connectrpc/connect'
import {
  DigestAlgorithm,
  DigestObjectResultSchema,
} from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { DigestObjectInput, DigestObjectResult } from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { TaskKind } from './kind.ts'
import { checkBucket, checkKey } from './names.ts'
import { openObject } from './read-object.ts'
import { checkSha256 } from './verify.ts'

// Node-only: Web Crypto has no incremental hash, and an object may be larger than memory.
const HASHES: ReadonlyMap<DigestAlgorithm, string> = new Map([
  [DigestAlgorithm.SHA256, 'sha256'],
  [DigestAlgorithm.SHA512, 'sha512'],
])

const algorithmOf = (input: DigestObjectInput): DigestAlgorithm =>
  input.algorithm === DigestAlgorithm.UNSPECIFIED ? DigestAlgorithm.SHA256 : input.algorithm

/**
 * "Digest an object": streams it with GetObject and hashes it chunk by chunk (SHA-256 or
 * SHA-512). A SHA-256 that differs from the one storage recorded for the object is DATA_LOSS.
 */
export const digestObject: TaskKind<DigestObjectInput, DigestObjectResult> = {
  validate(input) {
    checkBucket('input.digest_object.bucket', input.bucket)
    checkKey('input.digest_object.key', input.key)
    if (!HASHES.has(algorithmOf(input))) {
      throw new ConnectError(`input.digest_object.algorithm: unsupported algorithm ${input.algorithm}`, Code.InvalidArgument)
    }
  },

  async run(input, { storage, signal, progress }) {
    const algorithm = algorithmOf(input)
    const source = await openObject(storage, input, signal)
    const hash = createHash(HASHES.get(algorithm)!)
    let done = 0n
    progress(done, source.length, 'reading source')
    for await (const chunk of source.chunks) {
      hash.update(chunk)
      done += BigInt(chunk.byteLength)
      progress(done, source.length, 'reading source')
    }
    const digest = new Uint8Array(hash.digest())
    if (algorithm === DigestAlgorithm.SHA256) checkSha256(input, digest, source.object.sha256)
    return create(DigestObjectResultSchema, { algorithm, digest, size: done, generation: source.object.generation })
  },
}
