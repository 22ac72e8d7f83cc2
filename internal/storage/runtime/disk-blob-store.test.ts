import { appendFile, copyFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UploadState } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { objectId } from './disk-layout.ts'
import { type StorageClient, filesUnder, fingerprint, getAll, inMemoryClient, patternBytes, put, sha256, tempDir } from './testing.ts'

const CHUNK = 64 * 1024
const DATA = patternBytes(5 * CHUNK + 17, 3)

let dir: string
let cleanup: () => Promise<void>

beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
})
afterEach(() => cleanup())

/** A new store and service on the same directory: what a restarted process sees. */
const reopen = async () => (await inMemoryClient(dir)).client

async function write(client: StorageClient, uploadId: string, from: number, to: number) {
  async function* messages() {
    yield { content: { case: 'header' as const, value: { bucket: 'media', uploadId, offset: BigInt(from) } } }
    for (let at = from; at < to; at += CHUNK) {
      yield { content: { case: 'chunk' as const, value: DATA.subarray(at, Math.min(at + CHUNK, to)) } }
    }
  }
  return (await client.writeUpload(messages())).committedOffset
}

describe('disk blob store', () => {
  it('persists objects and their metadata across a restart, and never reuses a generation', async () => {
    const first = await reopen()
    await first.createBucket({ bucket: 'media' })
    const { object } = await put(first, 'media', 'a/b.txt', DATA, { contentType: 'text/plain' })

    const second = await reopen()
    expect((await second.headObject({ bucket: 'media', key: 'a/b.txt' })).object).toEqual(object)
    expect(fingerprint((await getAll(second.getObject({ bucket: 'media', key: 'a/b.txt' }))).data)).toEqual(fingerprint(DATA))
    await second.deleteObject({ bucket: 'media', key: 'a/b.txt' })

    const third = await reopen()
    const again = (await put(third, 'media', 'a/b.txt', DATA)).object
    expect(again?.generation).toBeGreaterThan(object?.generation ?? 0n)
    const id = objectId('a/b.txt')
    expect(await filesUnder(join(dir, 'buckets'))).toEqual([
      'media/bucket.json',
      `media/objects/${id}.${again?.generation}.data`,
      `media/objects/${id}.json`,
    ])
  })

  it('lets a new process continue an upload, cutting bytes that were never committed', async () => {
    const first = await reopen()
    await first.createBucket({ bucket: 'media' })
    const uploadId = (await first.createUpload({ bucket: 'media', key: 'big' })).upload?.uploadId ?? ''
    expect(await write(first, uploadId, 0, 2 * CHUNK)).toBe(BigInt(2 * CHUNK))
    // A crash in the middle of a later stream: bytes in the part file past the committed offset.
    await appendFile(join(dir, 'buckets/media/uploads', uploadId, 'part'), patternBytes(1000, 99))

    const second = await reopen()
    expect((await second.getUpload({ bucket: 'media', uploadId })).upload?.committedOffset).toBe(BigInt(2 * CHUNK))
    expect(await write(second, uploadId, 2 * CHUNK, DATA.length)).toBe(BigInt(DATA.length))
    // The digest is recomputed from disk: this process never saw the first bytes.
    const { object } = await second.completeUpload({ bucket: 'media', uploadId, sha256: sha256(DATA) })
    expect(object?.sha256).toEqual(sha256(DATA))
    expect(fingerprint((await getAll(second.getObject({ bucket: 'media', key: 'big' }))).data)).toEqual(fingerprint(DATA))
  })

  it('repairs an upload whose completion crashed after the object became visible', async () => {
    const client = await reopen()
    await client.createBucket({ bucket: 'media' })
    const uploadId = (await client.createUpload({ bucket: 'media', key: 'k' })).upload?.uploadId ?? ''
    await write(client, uploadId, 0, DATA.length)
    const record = join(dir, 'buckets/media/uploads', uploadId, 'upload.json')
    await copyFile(record, `${record}.before`)
    const { object } = await client.completeUpload({ bucket: 'media', uploadId, sha256: sha256(DATA) })
    await writeFile(record, await readFile(`${record}.before`)) // as if the final save never happened

    const restarted = await reopen()
    expect((await restarted.getUpload({ bucket: 'media', uploadId })).upload).toMatchObject({
      state: UploadState.COMPLETED,
      object: { generation: object?.generation },
    })
    expect((await restarted.completeUpload({ bucket: 'media', uploadId })).object?.generation).toBe(object?.generation)
  })

  it('removes what a crash leaves behind when it opens', async () => {
    const client = await reopen()
    await client.createBucket({ bucket: 'media' })
    const { object } = await put(client, 'media', 'k', DATA)
    const uploadId = (await client.createUpload({ bucket: 'media', key: 'u' })).upload?.uploadId ?? ''
    const id = objectId('k')
    const junk = [
      'tmp/0123.part',
      `buckets/media/objects/${id}.999999.data`,
      `buckets/media/objects/${id}.json.abc.tmp`,
      `buckets/media/uploads/${uploadId}/upload.json.abc.tmp`,
    ]
    for (const f of junk) await writeFile(join(dir, f), 'junk')
    await reopen()
    expect(await filesUnder(dir)).toEqual([
      `buckets/media/bucket.json`,
      `buckets/media/objects/${id}.${object?.generation}.data`,
      `buckets/media/objects/${id}.json`,
      `buckets/media/uploads/${uploadId}/part`,
      `buckets/media/uploads/${uploadId}/upload.json`,
      'generation.json',
    ])
  })
})
