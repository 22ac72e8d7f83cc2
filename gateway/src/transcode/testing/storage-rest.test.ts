// REST through the transcoder onto the real storage role (its service on a disk blob store in a
// temporary directory, over the in-memory Connect transport): the storage.proto rules end to
// end, raw bytes both ways, the object metadata as HTTP headers, Connect errors as problems.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRouterTransport } from '@connectrpc/connect'
import type { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStorageService } from '../../../../internal/storage/index.ts'
import { createDiskBlobStore } from '../../../../internal/storage/runtime/disk-blob-store.ts'
import { StorageService } from '../../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import type { GatewayEnv } from '../../env.ts'
import { transcodeApp } from './transcode-app.ts'

let dir: string
let app: Hono<GatewayEnv>
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-transcode-'))
  const service = createStorageService({ store: await createDiskBlobStore(dir) })
  const transport = createRouterTransport(({ service: add }) => add(StorageService, service))
  app = transcodeApp('gatehouse.storage.v1.StorageService', { transport })
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('REST onto the storage role', () => {
  it('creates a bucket, and answers 409 already_exists the second time', async () => {
    const init = { method: 'POST', body: JSON.stringify({ bucket: 'photos' }) }
    expect(await (await app.request('/v1/buckets', init)).json()).toMatchObject({ bucket: { name: 'photos' } })
    const again = await app.request('/v1/buckets', init)
    expect(again.status).toBe(409)
    expect(await again.json()).toMatchObject({ connectCode: 'already_exists' })
  })

  it('writes an object from a raw body and reads it back with its metadata as headers', async () => {
    const put = await app.request('/v1/buckets/photos/objects/trips/day%201.txt?header.content_type=text/plain', { method: 'PUT', body: 'hello world' })
    const written = (await put.json()) as { object: { size: string; etag: string; generation: string } }
    expect(written.object).toMatchObject({ key: 'trips/day 1.txt', size: '11', contentType: 'text/plain' })

    const get = await app.request('/v1/buckets/photos/objects/trips/day%201.txt')
    expect(await get.text()).toBe('hello world')
    expect(get.headers.get('content-type')).toBe('text/plain')
    expect(get.headers.get('content-length')).toBe('11')
    expect(get.headers.get('etag')).toBe(written.object.etag)
    expect(get.headers.get('x-gatehouse-generation')).toBe(written.object.generation)
    expect(new Date(get.headers.get('last-modified') ?? '').getTime()).toBeGreaterThan(0)

    const range = await app.request('/v1/buckets/photos/objects/trips/day%201.txt?offset=6&length=3')
    expect([await range.text(), range.headers.get('content-length'), range.headers.get('etag')]).toEqual(['wor', '3', null])

    const head = await app.request('/v1/buckets/photos/objects/trips/day%201.txt', { method: 'HEAD' })
    expect([head.status, head.headers.get('content-length'), head.headers.get('etag'), await head.text()]).toEqual([200, '11', written.object.etag, ''])
  })

  it('lists with query parameters, deletes, and answers 404 problems', async () => {
    const list = await app.request('/v1/buckets/photos/objects?prefix=trips/&page_size=10')
    expect(await list.json()).toMatchObject({ objects: [{ key: 'trips/day 1.txt' }] })
    expect((await app.request('/v1/buckets/photos/objects?prefx=trips/')).status).toBe(400)
    expect((await app.request('/v1/buckets/photos/objects/trips/day%201.txt', { method: 'DELETE' })).status).toBe(200)
    const missing = await app.request('/v1/buckets/photos/objects/trips/day%201.txt')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ connectCode: 'not_found', code: 'NOT_FOUND' })
  })
})
