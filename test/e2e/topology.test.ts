import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { NodeRole, RegistryService } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { DigestAlgorithm, ProcessingService, TaskState } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { removeDir, ROOT, waitFor } from './harness.ts'

const MiB = 1024 * 1024

describe('gatehouse start: the whole topology on embedded defaults', () => {
  let cwd: string
  let out = ''
  let gateway: string
  let stop: () => Promise<number | null>

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'gatehouse-start-')) // its data goes to <cwd>/.gatehouse
    const child = spawn(process.execPath, [join(ROOT, 'gateway/cli/gatehouse.js'), 'start', '--port', '0', '--policies', join(ROOT, 'policies')], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    stop = async () => {
      child.kill('SIGTERM')
      return exited
    }
    gateway = await waitFor('the banner', () => /gateway\s+(http:\/\/\S+)/.exec(out)?.[1], 30_000)
  })
  afterAll(async () => {
    await removeDir(cwd)
  })

  it('prints where everything listens', () => {
    for (const role of ['demo upstream', 'storage', 'processing', 'metadata']) expect(out).toMatch(new RegExp(`^  ${role}\\s+http://127\\.0\\.0\\.1:\\d+`, 'm'))
  })

  it('serves the demo routes through the gateway', async () => {
    const res = await fetch(`${gateway}/v1/items/42`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ name: 'towel' })
    expect(res.headers.get('x-served-by')).toBe('gatehouse')
    // The shipped routes run the WAF first: an injection never reaches the service.
    const attack = await fetch(`${gateway}/v1/items?filter=${encodeURIComponent("name' OR '1'='1' --")}`)
    expect(attack.status).toBe(403)
    expect(await attack.json()).toMatchObject({ code: 'PERMISSION_DENIED' })
  })

  it('serves storage, processing (east-west to storage) and metadata behind the gateway', async () => {
    const transport = createConnectTransport({ baseUrl: gateway, httpVersion: '1.1' })
    const storage = createClient(StorageService, transport)
    const processing = createClient(ProcessingService, transport)
    const metadata = createClient(MetadataService, transport)

    await storage.createBucket({ bucket: 'e2e' })
    const data = new Uint8Array(3 * MiB).map((_, i) => (i * 7) % 251)
    async function* upload() {
      yield { content: { case: 'header' as const, value: { bucket: 'e2e', key: 'blob.bin', contentType: 'application/octet-stream' } } }
      for (let at = 0; at < data.length; at += MiB) yield { content: { case: 'chunk' as const, value: data.subarray(at, at + MiB) } }
    }
    expect((await storage.putObject(upload())).object?.size).toBe(BigInt(data.length))

    const submitted = await processing.submitTask({
      input: { kind: { case: 'digestObject', value: { bucket: 'e2e', key: 'blob.bin', algorithm: DigestAlgorithm.SHA256 } } },
    })
    const states: TaskState[] = []
    for await (const event of processing.watchTask({ taskId: submitted.task?.taskId ?? '' })) states.push(event.task?.state ?? TaskState.UNSPECIFIED)
    expect(states.at(-1)).toBe(TaskState.SUCCEEDED)
    const result = (await processing.getTask({ taskId: submitted.task?.taskId ?? '' })).task?.result?.kind
    expect(result?.case).toBe('digestObject')
    if (result?.case === 'digestObject') expect(Buffer.from(result.value.digest)).toEqual(createHash('sha256').update(data).digest())
    // The processing node read the object through its egress client, which counts its attempts.
    const metrics = await (await fetch('http://127.0.0.1:7102/metrics')).text()
    const ok = /^gatehouse_egress_attempts_total\{upstream="storage",endpoint="http:\/\/127\.0\.0\.1:7101",outcome="ok"\} (\d+)$/m.exec(metrics)
    expect(Number(ok?.[1])).toBeGreaterThan(0)

    await metadata.putRecord({ key: 'e2e/flag', value: new TextEncoder().encode('on') })
    expect(new TextDecoder().decode((await metadata.getRecord({ key: 'e2e/flag' })).record?.value)).toBe('on')
  })

  it('serves REST for all three roles from the shipped policies, transcoded to their protobuf methods', async () => {
    const json = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${gateway}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> }
    }
    // storage: a bucket, an object written as a raw PUT body (a client stream of chunks) and read back raw.
    expect((await json('POST', '/v1/buckets', { bucket: 'rest' })).status).toBe(200)
    expect((await json('GET', '/v1/buckets/rest')).body).toMatchObject({ bucket: { name: 'rest' } })
    const content = new Uint8Array(300_000).map((_, i) => (i * 13) % 256)
    const put = await fetch(`${gateway}/v1/buckets/rest/objects/docs/a.bin`, { method: 'PUT', body: content })
    expect(put.status, await put.clone().text()).toBe(200)
    expect(await put.json()).toMatchObject({ object: { bucket: 'rest', key: 'docs/a.bin', size: String(content.length) } })
    const got = await fetch(`${gateway}/v1/buckets/rest/objects/docs/a.bin`)
    expect(got.status).toBe(200)
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(content)
    const missing = await json('GET', '/v1/buckets/rest/objects/nope')
    expect(missing.status).toBe(404)
    expect(missing.type).toMatch(/^application\/problem\+json/)

    // processing: a task over the object, watched as NDJSON until it ends.
    const submitted = await json('POST', '/v1/tasks', { input: { digestObject: { bucket: 'rest', key: 'docs/a.bin', algorithm: 'DIGEST_ALGORITHM_SHA256' } } })
    expect(submitted.status).toBe(200)
    const taskId = (submitted.body.task as { taskId: string }).taskId
    const watch = await fetch(`${gateway}/v1/tasks/${taskId}:watch`, { headers: { accept: 'application/x-ndjson' } })
    expect(watch.headers.get('content-type'), await watch.clone().text()).toMatch(/^application\/x-ndjson/)
    type Event = { result?: { task?: { state: string; result?: { digestObject?: { digest: string } } } } }
    const events = (await watch.text()).trim().split('\n').map((line) => JSON.parse(line) as Event)
    const last = events.at(-1)?.result?.task
    expect(last?.state).toBe('TASK_STATE_SUCCEEDED')
    expect(last?.result?.digestObject?.digest).toBe(createHash('sha256').update(content).digest('base64'))
    expect((await json('GET', `/v1/tasks/${taskId}`)).body).toMatchObject({ task: { taskId, state: 'TASK_STATE_SUCCEEDED' } })

    // metadata: versioned records with compare-and-set.
    const first = await json('PUT', '/v1/records/rest/flag', { value: Buffer.from('on').toString('base64') })
    expect(first.body).toMatchObject({ record: { key: 'rest/flag', version: '1' } })
    const conflict = await json('PUT', '/v1/records/rest/flag', { value: Buffer.from('off').toString('base64'), expectedVersion: '7' })
    expect(conflict.status).toBe(409)
    expect((await json('GET', '/v1/records/rest/flag')).body).toMatchObject({ record: { version: '1', value: Buffer.from('on').toString('base64') } })
    expect((await json('GET', '/v1/records?prefix=rest/')).body).toMatchObject({ records: [{ key: 'rest/flag' }] })
    const unknown = await json('GET', '/v1/records?prefx=rest/')
    expect(unknown.status).toBe(400)
  })

  it('has every internal node in the service registry, with its role and address', async () => {
    const registry = createClient(RegistryService, createConnectTransport({ baseUrl: gateway, httpVersion: '1.1' }))
    const nodes = await waitFor('three registered nodes', async () => {
      const listed = (await registry.listNodes({})).nodes
      return listed.length === 3 ? listed : undefined
    })
    expect(nodes.map((n) => [n.role, n.address]).sort()).toEqual(
      [
        [NodeRole.STORAGE, 'http://127.0.0.1:7101'],
        [NodeRole.PROCESSING, 'http://127.0.0.1:7102'],
        [NodeRole.METADATA, 'http://127.0.0.1:7103'],
      ].sort(),
    )
  })

  it('drains every node and exits 0 on SIGTERM', async () => {
    expect(await stop()).toBe(0)
  })
})
