import { spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { removeDir, ROOT, spawnNode } from './harness.ts'
import type { NodeProcess } from './harness.ts'

const CLI = join(ROOT, 'gateway', 'cli', 'gatehouse.js')

describe('a role node guards itself: admission control and its data directory', () => {
  let dataDir: string
  let node: NodeProcess

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-adm-'))
    node = await spawnNode('metadata node', [
      process.execPath, CLI, 'node', '--role', 'metadata', '--port', '0', '--data', dataDir,
      '--max-concurrency', '1', '--max-queue', '0',
    ])
  })
  afterAll(async () => {
    await node?.stop()
    await removeDir(dataDir)
  })

  it('refuses a call past the limit with OVERLOADED while a long watch holds the only slot, and admits again once it ends', async () => {
    const client = createClient(MetadataService, createConnectTransport({ baseUrl: node.url, httpVersion: '1.1' }))
    const holder = new AbortController()
    const watch = client.watchRecords({ prefix: 'a/' }, { signal: holder.signal })
    const iterating = (async () => {
      try {
        for await (const _ of watch);
      } catch {
        // aborted below
      }
    })()
    // The watch holds the slot until it ends; poll until the node reports it is taken.
    let refused: ConnectError | undefined
    for (let i = 0; i < 50 && !refused; i++) {
      try {
        await client.getRecord({ key: 'a/1' })
      } catch (err) {
        if (err instanceof ConnectError && err.code !== Code.NotFound) refused = err
      }
      if (!refused) await new Promise((r) => setTimeout(r, 20))
    }
    expect(refused?.code).toBe(Code.ResourceExhausted)
    expect(refused?.rawMessage).toMatch(/^too many requests in progress/)
    holder.abort()
    await iterating
    // The slot is free again (the server notices the client went away).
    let admitted = false
    for (let i = 0; i < 100 && !admitted; i++) {
      try {
        await client.putRecord({ key: 'a/1', value: new Uint8Array([1]) })
        admitted = true
      } catch {
        await new Promise((r) => setTimeout(r, 20))
      }
    }
    expect(admitted).toBe(true)
  })

  it('refuses to start a second node on the same data directory, in one line, exit 1', async () => {
    const second = spawn(process.execPath, [CLI, 'node', '--role', 'metadata', '--port', '0', '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    second.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve))
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(`gatehouse: data directory ${dataDir} is in use by process ${node.pid}; give each node its own --data`)
  })
})
