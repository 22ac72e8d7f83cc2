import { once } from 'node:events'
import { createServer } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import { connectNodeAdapter, createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node'
import { afterEach, describe, expect, it } from 'vitest'
import { MetadataService, VersionConflictSchema, type WatchRecordsResponse } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { NodeRole, RegistryService } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { singleNode } from './leader.ts'
import type { RecordStore } from './record-store.ts'
import { metadataRoutes } from './routes.ts'
import { bytes, logStores, tempDirs, text } from './testing.ts'

const tempDir = tempDirs()
const openLogStore = logStores()
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The metadata role on node:http2 (h2c) at 127.0.0.1, an ephemeral port; a gRPC client for it. */
async function serve(wrap: (store: RecordStore) => RecordStore = (s) => s) {
  const store = wrap(await openLogStore({ dir: await tempDir() }))
  const server = createServer(connectNodeAdapter({ routes: metadataRoutes({ store, node: singleNode('http://127.0.0.1:0') }) }))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const sessions = new Http2SessionManager(baseUrl)
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())), () => sessions.abort())
  const transport = createGrpcTransport({ baseUrl, sessionManager: sessions })
  return { metadata: createClient(MetadataService, transport), registry: createClient(RegistryService, transport) }
}

describe('metadata role over gRPC (h2c on a real socket)', () => {
  it('puts and gets a record; a CAS conflict carries its detail over the wire', async () => {
    const { metadata } = await serve()
    const put = await metadata.putRecord({ key: 'services/storage', value: bytes('v1'), expectedVersion: 0n })
    expect(put.record).toMatchObject({ key: 'services/storage', version: 1n, modRevision: 1n })
    const got = await metadata.getRecord({ key: 'services/storage' })
    expect([text(got.record!.value), got.record!.version, got.header?.revision, got.header?.epoch]).toEqual(['v1', 1n, 1n, 1n])

    const err = await metadata.putRecord({ key: 'services/storage', value: bytes('v2'), expectedVersion: 0n }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect((err as ConnectError).code).toBe(Code.Aborted)
    expect((err as ConnectError).findDetails(VersionConflictSchema)[0]).toMatchObject({ currentVersion: 1n })
  })

  it('streams a watch, and ends the server side when the client cancels', async () => {
    let open = 0
    const { metadata } = await serve((s) => ({
      ...s,
      watch: async function* (...args) {
        open++
        try {
          yield* s.watch(...args)
        } finally {
          open--
        }
      },
    }))
    const abort = new AbortController()
    const watch = metadata.watchRecords({ prefix: 'w/' }, { signal: abort.signal })[Symbol.asyncIterator]()
    const next = async () => (await watch.next()).value as WatchRecordsResponse
    expect((await next()).events).toEqual([]) // established
    await metadata.putRecord({ key: 'w/1', value: bytes('x') })
    expect((await next()).events.map((e) => e.record?.key)).toEqual(['w/1'])
    expect(open).toBe(1)
    abort.abort()
    await expect(watch.next()).rejects.toMatchObject({ code: Code.Canceled })
    await expect.poll(() => open).toBe(0)
  })

  it('serves the registry beside it', async () => {
    const { registry } = await serve()
    await registry.registerNode({ nodeId: 'storage-1', role: NodeRole.STORAGE, address: 'http://127.0.0.1:8081' })
    expect((await registry.listNodes({})).nodes.map((n) => n.nodeId)).toEqual(['storage-1'])
  })
})
