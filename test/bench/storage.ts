/**
 * `npm run bench:storage [-- --size-mib N]`: streams one object (default 1 GiB) up to and down
 * from a real storage node process (`gatehouse node --role storage`), over native gRPC (h2c)
 * and over the Connect protocol (HTTP/1.1), and reports throughput and the node's resident
 * memory (current and peak, from /proc) — the "1 GiB with < 64 MB RSS growth" figure.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@connectrpc/connect'
import type { Transport } from '@connectrpc/connect'
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node'
import { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'

const MiB = 1024 * 1024
const sizeArg = process.argv.indexOf('--size-mib')
const SIZE = (sizeArg > 0 ? Number(process.argv[sizeArg + 1]) : 1024) * MiB
const ROOT = new URL('../..', import.meta.url).pathname

async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024
  return { rss: kib('VmRSS'), peak: kib('VmHWM') }
}

async function startNode(dataDir: string): Promise<{ pid: number; http: string; grpc: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(ROOT, 'gateway/cli/gatehouse.js'), 'node', '--role', 'storage', '--port', '0', '--grpc-port', '0', '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  const deadline = Date.now() + 20_000
  let http: string | undefined
  let grpc: string | undefined
  while ((!http || !grpc) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
    http = /"msg":"listening","url":"([^"]+)"/.exec(out)?.[1]
    grpc = /"msg":"grpc listening","url":"([^"]+)"/.exec(out)?.[1]
  }
  if (!http || !grpc) throw new Error(`storage node did not start:\n${out}`)
  return {
    pid: child.pid as number,
    http,
    grpc,
    stop: () => new Promise<void>((resolve) => child.once('exit', () => resolve()).kill('SIGTERM')),
  }
}

/** The object's bytes, generated 1 MiB at a time (never held whole), and their SHA-256. */
function* pattern(): Generator<Uint8Array> {
  for (let at = 0; at < SIZE; at += MiB) yield new Uint8Array(Math.min(MiB, SIZE - at)).fill((at / MiB) % 251)
}
const expectedSha = (() => {
  const hash = createHash('sha256')
  for (const chunk of pattern()) hash.update(chunk)
  return hash.digest()
})()

async function run(name: string, transport: Transport, key: string, pid: number): Promise<string> {
  const storage = createClient(StorageService, transport)
  // Reset the node's peak-RSS mark (VmHWM), so each run reports its own peak (Linux, needs root or same user).
  await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => {})
  const before = await memory(pid)
  let t0 = performance.now()
  async function* upload() {
    yield { content: { case: 'header' as const, value: { bucket: 'bench', key, contentType: 'application/octet-stream', sha256: expectedSha } } }
    for (const chunk of pattern()) yield { content: { case: 'chunk' as const, value: chunk } }
  }
  const put = await storage.putObject(upload())
  const upSeconds = (performance.now() - t0) / 1000
  const afterUp = await memory(pid)
  t0 = performance.now()
  const hash = createHash('sha256')
  let received = 0
  for await (const message of storage.getObject({ bucket: 'bench', key })) {
    if (message.content.case === 'chunk') {
      received += message.content.value.length
      hash.update(message.content.value)
    }
  }
  const downSeconds = (performance.now() - t0) / 1000
  const afterDown = await memory(pid)
  const ok = received === SIZE && hash.digest().equals(expectedSha) && put.object?.size === BigInt(SIZE)
  const mib = SIZE / MiB
  return [
    name.padEnd(22),
    `${(mib / upSeconds).toFixed(0).padStart(5)} MiB/s up`,
    `${(mib / downSeconds).toFixed(0).padStart(5)} MiB/s down`,
    `RSS ${before.rss.toFixed(0)} -> ${afterUp.rss.toFixed(0)} -> ${afterDown.rss.toFixed(0)} MB`,
    `peak +${(afterDown.peak - before.rss).toFixed(0)} MB`,
    ok ? 'bytes verified' : 'MISMATCH',
  ].join('  ')
}

const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-storage-'))
const node = await startNode(dataDir)
try {
  await createClient(StorageService, createConnectTransport({ baseUrl: node.http, httpVersion: '1.1' })).createBucket({ bucket: 'bench' })
  console.log(`storage node pid ${node.pid}, object ${SIZE / MiB} MiB in 1 MiB chunks, data on ${dataDir}`)
  const grpc = createGrpcTransport({ baseUrl: node.grpc })
  const connect = createConnectTransport({ baseUrl: node.http, httpVersion: '1.1', useBinaryFormat: true })
  console.log(await run('gRPC, cold node', grpc, 'cold.bin', node.pid))
  console.log(await run('gRPC (h2c)', grpc, 'grpc.bin', node.pid))
  console.log(await run('Connect (HTTP/1.1)', connect, 'connect.bin', node.pid))
} finally {
  await node.stop()
  await rm(dataDir, { recursive: true, force: true })
}
