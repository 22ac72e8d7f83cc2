import { Code, ConnectError } from '@connectrpc/connect'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ChecksumMismatchSchema } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import {
  type StorageClient,
  filesUnder,
  getAll,
  inMemoryClient,
  patternBytes,
  put,
  putMessages,
  sha256,
  tempDir,
} from './runtime/testing.ts'

let dir: string
let cleanup: () => Promise<void>
let client: StorageClient

beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
  ;({ client } = await inMemoryClient(dir))
  await client.createBucket({ bucket: 'photos' })
})
afterEach(() => cleanup())

/** The ConnectError a call rejected with. */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ConnectError)
  return err as ConnectError
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('buckets', () => {
  it('creates, gets, lists in pages and deletes', async () => {
    for (const b of ['b-3', 'b-1', 'b-2']) await client.createBucket({ bucket: b })
    expect((await failure(client.createBucket({ bucket: 'b-1' }))).code).toBe(Code.AlreadyExists)
    expect((await client.getBucket({ bucket: 'b-2' })).bucket?.name).toBe('b-2')

    const first = await client.listBuckets({ pageSize: 2 })
    expect(first.buckets.map((b) => b.name)).toEqual(['b-1', 'b-2'])
    const second = await client.listBuckets({ pageSize: 2, pageToken: first.nextPageToken })
    expect(second.buckets.map((b) => b.name)).toEqual(['b-3', 'photos'])
    expect(second.nextPageToken).toBe('')

    await client.deleteBucket({ bucket: 'b-1' })
    expect((await failure(client.getBucket({ bucket: 'b-1' }))).code).toBe(Code.NotFound)
    expect((await failure(client.deleteBucket({ bucket: 'b-1' }))).code).toBe(Code.NotFound)
  })

  it('rejects invalid names with a precise message', async () => {
    const err = await failure(client.createBucket({ bucket: 'Photos' }))
    expect(err.code).toBe(Code.InvalidArgument)
    expect(err.rawMessage).toBe(
      'bucket "Photos" is invalid: use 3 to 63 characters of [a-z0-9-], starting and ending with a letter or a digit',
    )
    expect((await failure(client.createBucket({ bucket: '-ab' }))).code).toBe(Code.InvalidArgument)
    expect((await failure(client.createBucket({ bucket: 'ab' }))).code).toBe(Code.InvalidArgument)
  })

  it('refuses to delete a bucket that holds objects', async () => {
    await put(client, 'photos', 'a', patternBytes(10))
    const err = await failure(client.deleteBucket({ bucket: 'photos' }))
    expect(err.code).toBe(Code.FailedPrecondition)
    expect(err.rawMessage).toBe('bucket "photos" is not empty: it holds 1 object(s)')
  })
})

describe('objects', () => {
  it('puts, heads, gets and deletes a multi-chunk object', async () => {
    const data = patternBytes(3.5 * 1024 * 1024)
    const { object } = await put(client, 'photos', 'cats/tom.jpg', data)
    expect(object).toMatchObject({ bucket: 'photos', key: 'cats/tom.jpg', size: BigInt(data.length) })
    expect(object?.contentType).toBe('application/octet-stream')
    expect(object?.etag).toBe(`"${hex(sha256(data))}"`)
    expect(object?.generation).toBeGreaterThan(0n)

    expect((await client.headObject({ bucket: 'photos', key: 'cats/tom.jpg' })).object).toEqual(object)
    const read = await getAll(client.getObject({ bucket: 'photos', key: 'cats/tom.jpg' }))
    expect(read.header).toMatchObject({ object, offset: 0n, length: BigInt(data.length) })
    expect(Math.max(...read.chunkSizes)).toBeLessThanOrEqual(1 << 20)
    expect(hex(sha256(read.data))).toBe(hex(sha256(data)))

    await client.deleteObject({ bucket: 'photos', key: 'cats/tom.jpg' })
    const err = await failure(client.headObject({ bucket: 'photos', key: 'cats/tom.jpg' }))
    expect(err.code).toBe(Code.NotFound)
    expect(err.rawMessage).toBe('object "cats/tom.jpg" not found in bucket "photos"')
    expect((await failure(client.deleteObject({ bucket: 'photos', key: 'cats/tom.jpg' }))).code).toBe(Code.NotFound)
  })

  it('writes an empty object from zero chunks', async () => {
    const { object } = await put(client, 'photos', 'empty', new Uint8Array(0), { contentType: 'text/plain' })
    expect(object).toMatchObject({ size: 0n, contentType: 'text/plain' })
    const read = await getAll(client.getObject({ bucket: 'photos', key: 'empty' }))
    expect(read.data.length).toBe(0)
  })

  it('serves byte ranges, cut at the end, and OUT_OF_RANGE past it', async () => {
    const data = patternBytes(1000)
    await put(client, 'photos', 'r', data)
    const mid = await getAll(client.getObject({ bucket: 'photos', key: 'r', offset: 100n, length: 50n }))
    expect(mid.header).toMatchObject({ offset: 100n, length: 50n })
    expect(mid.data).toEqual(data.subarray(100, 150))
    const tail = await getAll(client.getObject({ bucket: 'photos', key: 'r', offset: 900n, length: 500n }))
    expect(tail.header).toMatchObject({ offset: 900n, length: 100n })
    expect(tail.data).toEqual(data.subarray(900))
    const toEnd = await getAll(client.getObject({ bucket: 'photos', key: 'r', offset: 990n }))
    expect(toEnd.data).toEqual(data.subarray(990))
    const empty = await getAll(client.getObject({ bucket: 'photos', key: 'r', offset: 1000n }))
    expect(empty.header).toMatchObject({ offset: 1000n, length: 0n })
    expect(empty.chunkSizes).toEqual([])

    const past = await failure(getAll(client.getObject({ bucket: 'photos', key: 'r', offset: 1001n })))
    expect(past.code).toBe(Code.OutOfRange)
    expect(past.rawMessage).toBe('offset 1001 is past the end of "r" (1000 bytes)')
    const negative = await failure(getAll(client.getObject({ bucket: 'photos', key: 'r', offset: -1n })))
    expect(negative.code).toBe(Code.InvalidArgument)
  })

  it('lists by prefix in UTF-8 byte order, page by page', async () => {
    const keys = ['a/2', 'a/1', 'b/1', 'a/3', 'a/\u{1F600}', 'a/\uFFFD', 'a/é']
    for (const k of keys) await put(client, 'photos', k, new TextEncoder().encode(k))
    const seen: string[] = []
    let pageToken = ''
    let pages = 0
    do {
      const page = await client.listObjects({ bucket: 'photos', prefix: 'a/', pageSize: 2, pageToken })
      seen.push(...page.objects.map((o) => o.key))
      pageToken = page.nextPageToken
      pages++
    } while (pageToken)
    // UTF-8 byte order: é (C3 A9) < U+FFFD (EF BF BD) < 😀 (F0 9F 98 80); UTF-16 order would put 😀 first.
    expect(seen).toEqual(['a/1', 'a/2', 'a/3', 'a/é', 'a/\uFFFD', 'a/\u{1F600}'])
    expect(pages).toBe(3)
    expect((await client.listObjects({ bucket: 'photos' })).objects).toHaveLength(7)
  })

  it('rejects a page token used with other request fields, or forged', async () => {
    for (const k of ['a/1', 'a/2']) await put(client, 'photos', k, patternBytes(1))
    const { nextPageToken } = await client.listObjects({ bucket: 'photos', prefix: 'a/', pageSize: 1 })
    const other = await failure(client.listObjects({ bucket: 'photos', prefix: 'b/', pageToken: nextPageToken }))
    expect(other.code).toBe(Code.InvalidArgument)
    expect(other.rawMessage).toBe('page_token belongs to a ListObjects call with other request fields')
    const forged = await failure(client.listObjects({ bucket: 'photos', pageToken: 'not a token' }))
    expect(forged.code).toBe(Code.InvalidArgument)
    const wrongList = await failure(client.listBuckets({ pageToken: nextPageToken }))
    expect(wrongList.rawMessage).toBe('page_token is not a ListBuckets token')
  })

  it('answers NOT_FOUND for an unknown bucket everywhere', async () => {
    const calls = [
      put(client, 'nope', 'k', patternBytes(1)),
      getAll(client.getObject({ bucket: 'nope', key: 'k' })),
      client.headObject({ bucket: 'nope', key: 'k' }),
      client.deleteObject({ bucket: 'nope', key: 'k' }),
      client.listObjects({ bucket: 'nope' }),
      client.createUpload({ bucket: 'nope', key: 'k' }),
    ]
    for (const call of calls) {
      const err = await failure(call)
      expect(err.code).toBe(Code.NotFound)
      expect(err.rawMessage).toBe('bucket "nope" not found')
    }
  })
})

describe('checks before anything becomes visible', () => {
  it('fails a SHA-256 mismatch with a ChecksumMismatch detail and keeps the previous generation', async () => {
    const v1 = await put(client, 'photos', 'k', patternBytes(100, 1))
    const data = patternBytes(3 * 1024 * 1024, 2)
    const wrong = sha256(patternBytes(10))
    const err = await failure(put(client, 'photos', 'k', data, { sha256: wrong }))
    expect(err.code).toBe(Code.InvalidArgument)
    expect(err.rawMessage).toMatch(/^PutObject: sha256 mismatch: declared [0-9a-f]{64}, received [0-9a-f]{64}; nothing was written$/)
    const [detail] = err.findDetails(ChecksumMismatchSchema)
    expect(hex(detail?.expectedSha256 ?? new Uint8Array())).toBe(hex(wrong))
    expect(hex(detail?.actualSha256 ?? new Uint8Array())).toBe(hex(sha256(data)))
    expect((await client.headObject({ bucket: 'photos', key: 'k' })).object).toEqual(v1.object)
    expect(await filesUnder(`${dir}/tmp`)).toEqual([])
  })

  it.each([
    ['an invalid key', { key: 'a//b' }, 'header.key "a//b" is invalid: segment 2 is empty (no leading, trailing or doubled "/")'],
    ['a dot segment', { key: 'a/../b' }, 'header.key "a/../b" is invalid: segment 2 is ".."'],
    ['a control character', { key: 'a\nb' }, 'header.key "a\\nb" is invalid: control character U+000A'],
    ['a key over 1024 bytes', { key: 'é'.repeat(513) }, 'header.key is 1026 bytes long: at most 1024 bytes of UTF-8'],
    ['an invalid bucket', { bucket: 'a_b' }, 'header.bucket "a_b" is invalid: use 3 to 63 characters of [a-z0-9-], starting and ending with a letter or a digit'],
    ['a short digest', { sha256: new Uint8Array(5) }, 'header.sha256 has 5 bytes: give the 32 raw bytes of the SHA-256, or nothing'],
    ['a negative size', { size: -1n }, 'size must not be negative, got -1'],
  ])('rejects %s with INVALID_ARGUMENT', async (_, override, message) => {
    const header = { bucket: 'photos', key: 'ok', ...override }
    const err = await failure(client.putObject(putMessages(header, patternBytes(10))))
    expect(err.code).toBe(Code.InvalidArgument)
    expect(err.rawMessage).toBe(message)
  })

  it('rejects an oversized chunk and leaves no partial state', async () => {
    async function* messages() {
      yield* putMessages({ bucket: 'photos', key: 'big' }, patternBytes(2 << 20))
      yield { content: { case: 'chunk' as const, value: new Uint8Array((1 << 20) + 1) } }
    }
    const err = await failure(client.putObject(messages()))
    expect(err.code).toBe(Code.InvalidArgument)
    expect(err.rawMessage).toBe('PutObject: chunk of 1048577 bytes in message 4 exceeds the limit of 1048576 bytes')
    expect((await failure(client.headObject({ bucket: 'photos', key: 'big' }))).code).toBe(Code.NotFound)
    expect(await filesUnder(dir)).toEqual(['buckets/photos/bucket.json'])
  })

  it('requires the header first, once', async () => {
    async function* chunkFirst() {
      yield { content: { case: 'chunk' as const, value: new Uint8Array(1) } }
    }
    expect((await failure(client.putObject(chunkFirst()))).rawMessage).toBe(
      'PutObject: message 1 must be a header, got a chunk',
    )
    async function* twoHeaders() {
      yield* putMessages({ bucket: 'photos', key: 'k' }, patternBytes(1))
      yield { content: { case: 'header' as const, value: { bucket: 'photos', key: 'k' } } }
    }
    expect((await failure(client.putObject(twoHeaders()))).rawMessage).toBe(
      'PutObject: message 3 must be a chunk, got a second header',
    )
    expect((await failure(client.putObject((async function* () {})()))).rawMessage).toBe(
      'PutObject: the stream is empty; the first message must be a header',
    )
  })

  it('holds the stream to its declared size', async () => {
    const more = await failure(put(client, 'photos', 'k', patternBytes(100), { size: 99n }))
    expect(more.code).toBe(Code.OutOfRange)
    const fewer = await failure(put(client, 'photos', 'k', patternBytes(100), { size: 101n }))
    expect(fewer.code).toBe(Code.InvalidArgument)
    expect(fewer.rawMessage).toBe('PutObject: the stream ended after 100 of the declared 101 bytes; nothing was written')
    expect(await filesUnder(`${dir}/tmp`)).toEqual([])
  })
})

describe('generations', () => {
  it('checks if_generation_match on put, get and delete, and never reuses a generation', async () => {
    const created = (await put(client, 'photos', 'k', patternBytes(1), { ifGenerationMatch: 0n })).object
    const taken = await failure(put(client, 'photos', 'k', patternBytes(2), { ifGenerationMatch: 0n }))
    expect(taken.code).toBe(Code.FailedPrecondition)
    expect(taken.rawMessage).toBe(`if_generation_match 0 does not hold for "k": its generation is ${created?.generation}`)
    const g1 = created?.generation ?? 0n
    const second = (await put(client, 'photos', 'k', patternBytes(3), { ifGenerationMatch: g1 })).object
    const g2 = second?.generation ?? 0n
    expect(g2).toBeGreaterThan(g1)

    const stale = await failure(getAll(client.getObject({ bucket: 'photos', key: 'k', ifGenerationMatch: g1 })))
    expect(stale.code).toBe(Code.FailedPrecondition)
    const fresh = await getAll(client.getObject({ bucket: 'photos', key: 'k', ifGenerationMatch: g2 }))
    expect(fresh.data).toEqual(patternBytes(3))

    expect((await failure(client.deleteObject({ bucket: 'photos', key: 'k', ifGenerationMatch: g1 }))).code).toBe(
      Code.FailedPrecondition,
    )
    await client.deleteObject({ bucket: 'photos', key: 'k', ifGenerationMatch: g2 })
    const again = (await put(client, 'photos', 'k', patternBytes(1), { ifGenerationMatch: 0n })).object
    expect(again?.generation).toBeGreaterThan(g2)
  })
})
