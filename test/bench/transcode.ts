/**
 * Transcoding bench: the same unary read, `MetadataService.GetRecord` on a real metadata node,
 * measured side by side in one run:
 *   direct  — Connect with JSON straight to the node (`POST …/GetRecord`, `application/json`), no gateway;
 *   rest    — `GET /v1/records/{key}` on the gateway, transcoded from the google.api.http rule to
 *             a Connect call (binary) through the egress client.
 * Reports req/s, latency and CPU per request; target: rest >= 0.8x of direct req/s.
 *
 *   npm run bench:transcode -- [--duration 5] [--warmup 2] [--connections 64] [--rounds 1] [--no-pin]
 *                              [--gateway-args="--access-log off"]
 *
 * Pinning: the gateway on CPU 1; the metadata node, wrk and this harness on CPU 0. So "direct"
 * is bounded by the node on CPU 0 and "rest" by the slower of node and gateway: the ratio says
 * whether the gateway's transcoding keeps up with the service it fronts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pickLoadTool, runLoad } from './load.ts'
import type { LoadResult } from './load.ts'
import { cpuDelta, cpuSnapshot, freePort, hasTaskset, pinPid, removeLogs, runBench, start, stopAll, waitReady } from './proc.ts'
import { GATEWAY_CLI, ROOT } from './targets.ts'

const CPU_HARNESS = 0
const CPU_PROXY = 1
const TARGET = 0.8
const KEY = 'bench/record'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '1' },
    'no-pin': { type: 'boolean', default: false },
    'gateway-args': { type: 'string', default: '' },
  },
})
const durationS = Number(values.duration)
const warmupS = Number(values.warmup)
const connections = Number(values.connections)
const rounds = Math.max(1, Number(values.rounds))
const pin = hasTaskset && !values['no-pin']
const tool = pickLoadTool()

interface Row {
  name: 'direct' | 'rest'
  load: LoadResult
  nodeUsPerReq: number
  gatewayUsPerReq: number
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-bench-transcode-'))
  if (pin) pinPid(process.pid, CPU_HARNESS)
  const rows: Row[] = []
  try {
    const nodePort = await freePort()
    const node = start('metadata', process.execPath, [GATEWAY_CLI, 'node', '--role', 'metadata', '--port', String(nodePort), '--data', join(tmp, 'data')], {
      cwd: ROOT,
      cpu: pin ? CPU_HARNESS : undefined,
    })
    const nodeUrl = `http://127.0.0.1:${nodePort}`
    writeFileSync(
      join(tmp, 'bench.yaml'),
      [
        'services:',
        '  metadata:',
        '    endpoints:',
        `      - url: ${nodeUrl}`,
        'routes:',
        '  - id: metadata-rest',
        '    rpc: { service: metadata, proto: gatehouse.metadata.v1.MetadataService/GetRecord }',
        '',
      ].join('\n'),
    )
    const port = await freePort()
    const extra = values['gateway-args'].split(/\s+/).filter(Boolean)
    const gateway = start('gateway', process.execPath, [GATEWAY_CLI, 'gateway', '--policies', tmp, '--port', String(port), '--runtime', 'node', ...extra], {
      cwd: ROOT,
      cpu: pin ? CPU_PROXY : undefined,
    })
    for (const [child, url] of [[node, `${nodeUrl}/health/ready`], [gateway, `http://127.0.0.1:${port}/health/ready`]] as const) {
      const why = await waitReady(child, url)
      if (why) throw new Error(`${url}: ${why}\n${child.output()}`)
    }
    const put = await fetch(`${nodeUrl}/gatehouse.metadata.v1.MetadataService/PutRecord`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: KEY, value: Buffer.from('{"feature":"on","owner":"bench"}').toString('base64') }),
    })
    if (put.status !== 200) throw new Error(`PutRecord answered ${put.status}: ${await put.text()}`)

    const calls = {
      direct: {
        url: `${nodeUrl}/gatehouse.metadata.v1.MetadataService/GetRecord`,
        method: 'POST',
        body: JSON.stringify({ key: KEY }),
        headers: { 'content-type': 'application/json', 'connect-protocol-version': '1' },
      },
      rest: { url: `http://127.0.0.1:${port}/v1/records/${KEY}`, method: 'GET', body: undefined, headers: {} },
    }
    for (const [name, { url, ...init }] of Object.entries(calls)) {
      const res = await fetch(url, init)
      const body = (await res.json()) as { record?: { key?: string } }
      if (res.status !== 200 || body.record?.key !== KEY) throw new Error(`${name}: GET ${url} answered ${res.status} ${JSON.stringify(body)}`)
    }
    console.log(`transcode bench: ${tool}, ${connections} connections, ${warmupS} s warm-up + ${durationS} s each, ${rounds} round(s), pinning ${pin ? 'on' : 'off'}`)
    for (let round = 0; round < rounds; round++)
      for (const name of ['direct', 'rest'] as const) {
        const { url, method, body, headers } = calls[name]
        const cpu = pin ? CPU_HARNESS : undefined
        if (warmupS > 0) await runLoad({ tool, url, connections, durationS: warmupS, cpu, method, body, headers })
        const nodeBefore = cpuSnapshot(node.pid)
        const gatewayBefore = cpuSnapshot(gateway.pid)
        const load = await runLoad({ tool, url, connections, durationS, cpu, method, body, headers })
        const perReq = (before: Map<number, number>, pid: number) => (cpuDelta(before, cpuSnapshot(pid)) / Math.max(1, load.requests)) * 1e6
        rows.push({ name, load, nodeUsPerReq: perReq(nodeBefore, node.pid), gatewayUsPerReq: perReq(gatewayBefore, gateway.pid) })
        console.log(`- ${name.padEnd(6)} ${load.rps.toFixed(0)} req/s, p99 ${load.p99Ms.toFixed(2)} ms, errors ${load.errors}`)
      }
  } finally {
    await stopAll()
    rmSync(tmp, { recursive: true, force: true })
    removeLogs()
  }

  const mean = (name: Row['name'], f: (r: Row) => number) => {
    const mine = rows.filter((r) => r.name === name)
    return mine.reduce((a, r) => a + f(r), 0) / mine.length
  }
  const directRps = mean('direct', (r) => r.load.rps)
  console.log('\ncall    req/s  p50 ms  p99 ms  node CPU us/req  gateway CPU us/req  vs direct  target  verdict')
  for (const name of ['direct', 'rest'] as const) {
    const ratio = mean(name, (r) => r.load.rps) / directRps
    console.log(
      [
        name.padEnd(6),
        mean(name, (r) => r.load.rps).toFixed(0).padStart(6),
        mean(name, (r) => r.load.p50Ms).toFixed(2).padStart(6),
        mean(name, (r) => r.load.p99Ms).toFixed(2).padStart(6),
        mean(name, (r) => r.nodeUsPerReq).toFixed(1).padStart(15),
        mean(name, (r) => r.gatewayUsPerReq).toFixed(1).padStart(18),
        `${ratio.toFixed(2)}x`.padStart(9),
        (name === 'rest' ? `>= ${TARGET}x` : '').padStart(7),
        (name === 'rest' ? (ratio >= TARGET ? 'PASS' : 'MISS') : '').padStart(7),
      ].join('  '),
    )
  }
  console.log('figures move 10-40% between runs on a shared VM: compare within one run.')
}

runBench('transcode', main)
