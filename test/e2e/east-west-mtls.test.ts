import { createHash } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConnectError, createClient } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DigestAlgorithm, ProcessingService, TaskState } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { NodeRole, RegistryService } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { makeTestPki } from '../support/certs.ts'
import type { IssuedCert, TestPki } from '../support/certs.ts'
import { removeDir, ROOT, spawnNode, waitFor } from './harness.ts'
import type { NodeProcess } from './harness.ts'

const CLI = join(ROOT, 'gateway', 'cli', 'gatehouse.js')

describe('mutual TLS between internal nodes (gatehouse node --tls-cert --tls-key --client-ca --client-cert required)', () => {
  let pki: TestPki
  let dir: string
  let metadata: NodeProcess
  let storage: NodeProcess
  let processing: NodeProcess

  const tlsFlags = (p: TestPki) => ['--tls-cert', p.node.certPath, '--tls-key', p.node.keyPath, '--client-ca', p.ca.certPath, '--client-cert', 'required']
  const transport = (baseUrl: string, client: IssuedCert | undefined) =>
    createConnectTransport({ baseUrl, httpVersion: '1.1', nodeOptions: { ca: pki.ca.cert, ...(client ? { cert: client.cert, key: client.key } : {}) } })

  beforeAll(async () => {
    ;[pki, dir] = await Promise.all([makeTestPki(), mkdtemp(join(tmpdir(), 'gatehouse-ew-'))])
    metadata = await spawnNode('metadata node', [process.execPath, CLI, 'node', '--role', 'metadata', '--port', '0', '--data', join(dir, 'metadata'), ...tlsFlags(pki)])
    storage = await spawnNode('storage node', [
      process.execPath, CLI, 'node', '--role', 'storage', '--port', '0', '--data', join(dir, 'storage'), '--registry', metadata.url, ...tlsFlags(pki),
    ])
    processing = await spawnNode('processing node', [
      'env', `GATEHOUSE_STORAGE_URL=${storage.url}`,
      process.execPath, CLI, 'node', '--role', 'processing', '--port', '0', '--data', join(dir, 'processing'), ...tlsFlags(pki),
    ])
  }, 60_000)
  afterAll(async () => {
    await Promise.all([storage?.stop(), processing?.stop()])
    await metadata?.stop()
    await Promise.all([removeDir(dir), pki?.remove()])
  })

  it('serves HTTPS and says so where it listens', () => {
    expect(storage.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(processing.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
  })

  it('processing reads from storage presenting its own certificate: a digest task over HTTPS both ways', async () => {
    const st = createClient(StorageService, transport(storage.url, pki.spiffeClient))
    await st.createBucket({ bucket: 'east-west' })
    const data = new Uint8Array(300_000).map((_, i) => (i * 7) % 256)
    async function* upload() {
      yield { content: { case: 'header' as const, value: { bucket: 'east-west', key: 'blob.bin' } } }
      yield { content: { case: 'chunk' as const, value: data } }
    }
    await st.putObject(upload())
    const pr = createClient(ProcessingService, transport(processing.url, pki.spiffeClient))
    const submitted = await pr.submitTask({ input: { kind: { case: 'digestObject', value: { bucket: 'east-west', key: 'blob.bin', algorithm: DigestAlgorithm.SHA256 } } } })
    let last: TaskState | undefined
    let digest: Uint8Array | undefined
    for await (const event of pr.watchTask({ taskId: submitted.task?.taskId ?? '' })) {
      last = event.task?.state
      const result = event.task?.result?.kind
      if (result?.case === 'digestObject') digest = result.value.digest
    }
    expect(last).toBe(TaskState.SUCCEEDED)
    expect(Buffer.from(digest ?? []).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'))
  })

  it('storage joins the registry of the metadata node over mutual TLS too', async () => {
    const registry = createClient(RegistryService, transport(metadata.url, pki.spiffeClient))
    const listed = await waitFor('storage in the registry', async () => {
      const nodes = (await registry.listNodes({})).nodes
      return nodes.find((n) => n.address === storage.url)
    })
    expect(listed.role).toBe(NodeRole.STORAGE)
  })

  it('refuses a caller without a certificate, or with one from another CA, in the handshake', async () => {
    // The call fails with the server's TLS alert (how connect-node codes it is its own business), never an answer.
    const alerts = { none: /alert certificate required/, 'other CA': /alert (unknown ca|bad certificate|decrypt error)|socket hang up|ECONNRESET/i }
    for (const [what, client] of [['none', undefined], ['other CA', pki.otherCaClient]] as const) {
      const st = createClient(StorageService, transport(storage.url, client))
      const err = await st.listBuckets({}).then(() => undefined, (e: unknown) => ConnectError.from(e))
      expect(err, what).toBeInstanceOf(ConnectError)
      expect(err?.message).toMatch(alerts[what])
    }
  })
})
