import type { MessageInitShape } from '@bufbuild/protobuf'
import { Code, ConnectError } from '@connectrpc/connect'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ChecksumMismatchSchema,
  UploadOffsetMismatchSchema,
  UploadState,
  type WriteUploadRequestSchema,
} from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { type StorageClient, filesUnder, fingerprint, getAll, inMemoryClient, patternBytes, sha256, tempDir } from './runtime/testing.ts'

const CHUNK = 256 * 1024
const DATA = patternBytes(8 * CHUNK + 1234, 7)

let dir: string
let cleanup: () => Promise<void>
let client: StorageClient
let now: Date

beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
  now = new Date('2030-01-01T00:00:00Z')
  ;({ client } = await inMemoryClient(dir, () => now))
  await client.createBucket({ bucket: 'media' })
})
afterEach(() => cleanup())

type WriteRequest = MessageInitShape<typeof WriteUploadRequestSchema>

/** A WriteUpload stream of `data` from `offset`; `stopAfter` chunks, then the client aborts. */
async function* writeMessages(
  uploadId: string,
  data: Uint8Array,
  offset: number,
  o: { stopAfter?: number; abort?: AbortController } = {},
): AsyncGenerator<WriteRequest> {
  yield { content: { case: 'header', value: { bucket: 'media', uploadId, offset: BigInt(offset) } } }
  let sent = 0
  for (let at = offset; at < data.length; at += CHUNK) {
    if (sent === o.stopAfter) {
      o.abort?.abort() // the connection breaks mid-upload
      return
    }
    yield { content: { case: 'chunk', value: data.subarray(at, at + CHUNK) } }
    sent++
  }
}

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ConnectError)
  return err as ConnectError
}

describe('resumable uploads', () => {
  it('continues after a broken stream from the queried offset, completes, and reads back byte-exact', async () => {
    const { upload } = await client.createUpload({ bucket: 'media', key: 'movie.mp4', contentType: 'video/mp4' })
    const uploadId = upload?.uploadId ?? ''
    expect(uploadId).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(upload).toMatchObject({ state: UploadState.ACTIVE, committedOffset: 0n })

    const abort = new AbortController()
    const broken = await failure(
      client.writeUpload(writeMessages(uploadId, DATA, 0, { stopAfter: 3, abort }), { signal: abort.signal }),
    )
    expect(broken.code).toBe(Code.Canceled)

    // Every byte the node received before the break is committed.
    const committed = Number((await client.getUpload({ bucket: 'media', uploadId })).upload?.committedOffset)
    expect(committed).toBeGreaterThan(0)
    expect(committed).toBeLessThanOrEqual(3 * CHUNK)
    expect(committed % CHUNK).toBe(0)

    // Not from the committed offset: ABORTED with the offset to continue from.
    const wrong = await failure(client.writeUpload(writeMessages(uploadId, DATA, 0)))
    expect(wrong.code).toBe(Code.Aborted)
    expect(wrong.findDetails(UploadOffsetMismatchSchema)[0]?.committedOffset).toBe(BigInt(committed))

    const resumed = await client.writeUpload(writeMessages(uploadId, DATA, committed))
    expect(resumed.committedOffset).toBe(BigInt(DATA.length))
    const { object } = await client.completeUpload({ bucket: 'media', uploadId, sha256: sha256(DATA) })
    expect(object).toMatchObject({ key: 'movie.mp4', size: BigInt(DATA.length), contentType: 'video/mp4' })

    const read = await getAll(client.getObject({ bucket: 'media', key: 'movie.mp4' }))
    expect(fingerprint(read.data)).toEqual(fingerprint(DATA))

    // Retry-safe: completing again returns the same object; the upload is remembered as COMPLETED.
    expect((await client.completeUpload({ bucket: 'media', uploadId, sha256: sha256(DATA) })).object).toEqual(object)
    const done = (await client.getUpload({ bucket: 'media', uploadId })).upload
    expect(done).toMatchObject({ state: UploadState.COMPLETED, object })
    expect((await failure(client.abortUpload({ bucket: 'media', uploadId }))).code).toBe(Code.FailedPrecondition)
    expect(await filesUnder(`${dir}/buckets/media/uploads`)).toEqual([`${uploadId}/upload.json`])
  })

  it('aborts the upload on a digest mismatch at completion: nothing visible, data discarded', async () => {
    const { upload } = await client.createUpload({ bucket: 'media', key: 'k', size: BigInt(DATA.length) })
    const uploadId = upload?.uploadId ?? ''
    await client.writeUpload(writeMessages(uploadId, DATA, 0))
    const wrong = sha256(patternBytes(1))
    const err = await failure(client.completeUpload({ bucket: 'media', uploadId, sha256: wrong }))
    expect(err.code).toBe(Code.InvalidArgument)
    expect(err.findDetails(ChecksumMismatchSchema)[0]?.actualSha256).toEqual(sha256(DATA))
    expect((await failure(client.headObject({ bucket: 'media', key: 'k' }))).code).toBe(Code.NotFound)
    expect((await client.getUpload({ bucket: 'media', uploadId })).upload?.state).toBe(UploadState.ABORTED)
    expect(await filesUnder(`${dir}/buckets/media/uploads`)).toEqual([`${uploadId}/upload.json`])
    expect((await failure(client.completeUpload({ bucket: 'media', uploadId }))).code).toBe(Code.FailedPrecondition)
    expect((await client.abortUpload({ bucket: 'media', uploadId })).upload?.state).toBe(UploadState.ABORTED)
  })

  it('rolls back a stream with bad input: oversized chunk, bytes past the declared size', async () => {
    const { upload } = await client.createUpload({ bucket: 'media', key: 'k', size: 1000n })
    const uploadId = upload?.uploadId ?? ''
    async function* oversized(): AsyncGenerator<WriteRequest> {
      yield { content: { case: 'header', value: { bucket: 'media', uploadId, offset: 0n } } }
      yield { content: { case: 'chunk', value: new Uint8Array(100) } }
      yield { content: { case: 'chunk', value: new Uint8Array((1 << 20) + 1) } }
    }
    const big = await failure(client.writeUpload(oversized()))
    expect(big.code).toBe(Code.InvalidArgument)
    expect(big.rawMessage).toBe('WriteUpload: chunk of 1048577 bytes in message 3 exceeds the limit of 1048576 bytes')
    const past = await failure(client.writeUpload(writeMessages(uploadId, patternBytes(1001), 0)))
    expect(past.code).toBe(Code.OutOfRange)
    expect((await client.getUpload({ bucket: 'media', uploadId })).upload?.committedOffset).toBe(0n)

    await client.writeUpload(writeMessages(uploadId, patternBytes(600), 0))
    const short = await failure(client.completeUpload({ bucket: 'media', uploadId }))
    expect(short.code).toBe(Code.InvalidArgument)
    expect(short.rawMessage).toBe(`upload "${uploadId}" holds 600 of its declared 1000 bytes`)
  })

  it('lets one stream write at a time', async () => {
    const { upload } = await client.createUpload({ bucket: 'media', key: 'k' })
    const uploadId = upload?.uploadId ?? ''
    let release = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    async function* slow(): AsyncGenerator<WriteRequest> {
      yield { content: { case: 'header', value: { bucket: 'media', uploadId, offset: 0n } } }
      await gate
      yield { content: { case: 'chunk', value: new Uint8Array(10) } }
    }
    const first = client.writeUpload(slow())
    await new Promise((resolve) => setImmediate(resolve))
    const second = await failure(client.writeUpload(writeMessages(uploadId, DATA, 0)))
    expect(second.code).toBe(Code.Aborted)
    release()
    expect((await first).committedOffset).toBe(10n)
  })

  it('checks upload ids, digests and the creation digest', async () => {
    expect((await failure(client.getUpload({ bucket: 'media', uploadId: '../x' }))).rawMessage).toBe(
      'upload_id "../x" is invalid: 1 to 64 characters of [A-Za-z0-9_-]',
    )
    const unknown = await failure(client.getUpload({ bucket: 'media', uploadId: 'nope' }))
    expect(unknown.code).toBe(Code.NotFound)
    expect(unknown.rawMessage).toBe('upload "nope" not found in bucket "media"')
    const { upload } = await client.createUpload({ bucket: 'media', key: 'k', sha256: sha256(DATA) })
    const uploadId = upload?.uploadId ?? ''
    expect((await failure(client.getUpload({ bucket: 'photos', uploadId }))).code).toBe(Code.NotFound)
    const differs = await failure(client.completeUpload({ bucket: 'media', uploadId, sha256: sha256(patternBytes(2)) }))
    expect(differs.code).toBe(Code.InvalidArgument)
    expect(differs.rawMessage).toMatch(/differs from the sha256 [0-9a-f]{64} given to CreateUpload$/)
    expect((await client.getUpload({ bucket: 'media', uploadId })).upload?.state).toBe(UploadState.ACTIVE)
  })

  it('forgets an upload at its expire time, and does not count it against deleting the bucket', async () => {
    const { upload } = await client.createUpload({ bucket: 'media', key: 'k' })
    const uploadId = upload?.uploadId ?? ''
    await client.writeUpload(writeMessages(uploadId, DATA, 0, { stopAfter: 2 }))
    const blocked = await failure(client.deleteBucket({ bucket: 'media' }))
    expect(blocked.rawMessage).toBe('bucket "media" is not empty: it holds 1 active upload(s)')

    now = new Date(now.getTime() + 23 * 3600_000)
    expect((await client.getUpload({ bucket: 'media', uploadId })).upload?.committedOffset).toBe(BigInt(2 * CHUNK))
    now = new Date(now.getTime() + 3600_000) // 24 h after the last write
    expect((await failure(client.getUpload({ bucket: 'media', uploadId }))).code).toBe(Code.NotFound)
    expect(await filesUnder(`${dir}/buckets/media/uploads`)).toEqual([])
    await client.deleteBucket({ bucket: 'media' })
  })

  it('keeps a finished upload for an hour so retries get the same answer', async () => {
    const { upload } = await client.createUpload({ bucket: 'media', key: 'k' })
    const uploadId = upload?.uploadId ?? ''
    const aborted = (await client.abortUpload({ bucket: 'media', uploadId })).upload
    expect(aborted?.state).toBe(UploadState.ABORTED)
    now = new Date(now.getTime() + 59 * 60_000)
    expect((await client.abortUpload({ bucket: 'media', uploadId })).upload).toEqual(aborted)
    now = new Date(now.getTime() + 2 * 60_000)
    expect((await failure(client.abortUpload({ bucket: 'media', uploadId }))).code).toBe(Code.NotFound)
  })
})
