/**
 * Rate-limit bench: one gateway process, five routes to the same origin, measured one after the
 * other in the same run: no policy (bare), one trivial policy (chain), a `rate-limit` on the memory store, and the same on a
 * real redis-server, every request counted in Redis (redis) and reserving 100 units per round trip (batched). Reports req/s, latency, the gateway's CPU per request and each limiter's
 * ratio to the bare route (targets: memory >= 0.95x, redis >= 0.75x of bare req/s).
 *
 *   npm run bench:limits -- [--duration 5] [--warmup 2] [--connections 64] [--rounds 1|5] [--no-pin]
 *                           [--gateway-args="--access-log off"]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startRedis } from '../support/redis-server.ts'
import { pickLoadTool, runLoad } from './load.ts'
import type { LoadResult } from './load.ts'
import { cpuDelta, cpuSnapshot, freePort, hasTaskset, pinPid, removeLogs, runBench, start, stopAll, waitReady } from './proc.ts'
import { mean, standardError } from './stats.ts'
import { GATEWAY_CLI, ROOT } from './targets.ts'

const CPU_HARNESS = 0 // origin, redis, load generator, harness
const CPU_PROXY = 1 // the gateway
const LIMIT = 'limit: { requests: 1000000000, per: 1m }' // never refuses: measures the cost of counting

// `chain` runs one trivial policy (a request header): the cost of having a policy chain at all,
// which every policy pays; the limiter's own cost is the difference to it.
const ROUTES = [
  { name: 'bare', path: '/bench', policy: undefined, target: undefined },
  { name: 'chain', path: '/bench-chain', policy: 'noop', target: undefined },
  { name: 'memory', path: '/bench-memory', policy: 'rl-memory', target: 0.95 },
  { name: 'redis', path: '/bench-redis', policy: 'rl-redis', target: 0.75 },
  // The same Redis store reserving 100 units per round trip (store.redis.batch).
  { name: 'batched', path: '/bench-batched', policy: 'rl-batched', target: 0.75 },
] as const

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

function bundle(originPort: number, redisUrl: string): string {
  return [
    'services:',
    '  origin:',
    '    endpoints:',
    `      - url: http://127.0.0.1:${originPort}`,
    'policies:',
    '  noop:',
    '    type: headers',
    '    request: { set: { x-bench: "1" } }',
    '  rl-memory:',
    '    type: rate-limit',
    '    key: ip',
    `    ${LIMIT}`,
    '  rl-redis:',
    '    type: rate-limit',
    '    key: ip',
    `    ${LIMIT}`,
    // A generous command timeout: on a busy VM a 250 ms timeout would measure the fallback instead.
    `    store: { redis: { url: "${redisUrl}", commandTimeout: 2s } }`,
    '  rl-batched:',
    '    type: rate-limit',
    '    key: ip',
    `    ${LIMIT}`,
    `    store: { redis: { url: "${redisUrl}", commandTimeout: 2s, batch: { tokens: 100 } } }`,
    'routes:',
    ...ROUTES.flatMap((r) => [`  - id: ${r.name}`, `    match: { path: ${r.path} }`, ...(r.policy ? [`    policies: [${r.policy}]`] : []), '    http: origin']),
    '',
  ].join('\n')
}

interface Row {
  name: string
  load: LoadResult
  cpuUsPerReq: number
  redisUsPerReq: number
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-bench-limits-'))
  const redis = await startRedis()
  if (pin && redis.pid) pinPid(redis.pid, CPU_HARNESS)
  if (pin) pinPid(process.pid, CPU_HARNESS)
  const rows: Row[] = []
  try {
    const originPort = await freePort()
    const origin = start('origin', process.execPath, ['--import', 'tsx', join(ROOT, 'test/bench/origin.ts'), String(originPort)], { cwd: ROOT, cpu: pin ? CPU_HARNESS : undefined })
    writeFileSync(join(tmp, 'bench.yaml'), bundle(originPort, redis.url))
    const port = await freePort()
    const extra = values['gateway-args'].split(/\s+/).filter(Boolean)
    const gateway = start('gateway', process.execPath, [GATEWAY_CLI, 'gateway', '--policies', tmp, '--port', String(port), '--runtime', 'node', ...extra], {
      cwd: ROOT,
      cpu: pin ? CPU_PROXY : undefined,
    })
    for (const [child, url] of [[origin, `http://127.0.0.1:${originPort}/bench`], [gateway, `http://127.0.0.1:${port}/health/ready`]] as const) {
      const why = await waitReady(child, url)
      if (why) throw new Error(`${url}: ${why}\n${child.output()}`)
    }
    console.log(`limits bench: ${tool}, ${connections} connections, ${warmupS} s warm-up + ${durationS} s per route, ${rounds} round(s), pinning ${pin ? 'on' : 'off'}`)
    // Each round starts one route later (bare, chain, ... then chain, memory, ..., bare): a route's
    // place in the sequence (what ran before it, the heap it inherits) moved ratios by several
    // percent, so with rounds a multiple of the route count every route runs in every place once.
    for (let round = 0; round < rounds; round++)
      for (const route of ROUTES.map((_, i) => ROUTES[(i + round) % ROUTES.length]!)) {
        const url = `http://127.0.0.1:${port}${route.path}`
        const probe = await fetch(url)
        await probe.arrayBuffer()
        if (probe.status !== 200 || (route.policy?.startsWith('rl-') && !probe.headers.has('ratelimit-policy'))) throw new Error(`${route.name}: GET answered ${probe.status} without rate-limit headers`)
        const cpu = pin ? CPU_HARNESS : undefined
        if (warmupS > 0) await runLoad({ tool, url, connections, durationS: warmupS, cpu })
        const before = cpuSnapshot(gateway.pid)
        const redisBefore = cpuSnapshot(redis.pid ?? 0)
        const load = await runLoad({ tool, url, connections, durationS, cpu })
        const cpuUsPerReq = (cpuDelta(before, cpuSnapshot(gateway.pid)) / Math.max(1, load.requests)) * 1e6
        const redisUsPerReq = (cpuDelta(redisBefore, cpuSnapshot(redis.pid ?? 0)) / Math.max(1, load.requests)) * 1e6
        rows.push({ name: route.name, load, cpuUsPerReq, redisUsPerReq })
        console.log(`- ${route.name.padEnd(7)} ${load.rps.toFixed(0)} req/s, p99 ${load.p99Ms.toFixed(2)} ms, ${cpuUsPerReq.toFixed(1)} us CPU/req, errors ${load.errors}`)
      }
    // The redis route must really have counted in Redis, not in the insurance limiter.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    for (const policy of ['rl-redis', 'rl-batched']) {
      const failures = new RegExp(`gatehouse_rate_limit_store_failures_total\\{policy="${policy}"\\} (\\d+)`).exec(metrics)?.[1]
      console.log(`${policy} store failures during the run: ${failures ?? 'n/a'}`)
    }
  } finally {
    await stopAll()
    await redis.stop()
    rmSync(tmp, { recursive: true, force: true })
    removeLogs()
  }

  // Per route: the mean over rounds; ratios against the bare route of the same run.
  const meanOf = (name: string, f: (r: Row) => number) => {
    const mine = rows.filter((r) => r.name === name)
    return mine.reduce((a, r) => a + f(r), 0) / mine.length
  }
  const bareRps = meanOf('bare', (r) => r.load.rps)
  const bareCpu = meanOf('bare', (r) => r.cpuUsPerReq)
  const chainCpu = meanOf('chain', (r) => r.cpuUsPerReq)
  console.log('\nroute    req/s  p99 ms  gw CPU us/req  redis CPU us/req  req/s vs bare  CPU/req vs bare  CPU us over chain  target  verdict')
  for (const route of ROUTES) {
    const rps = meanOf(route.name, (r) => r.load.rps)
    const cpu = meanOf(route.name, (r) => r.cpuUsPerReq)
    const ratio = rps / bareRps
    const verdict = route.target === undefined ? '' : ratio >= route.target ? 'PASS' : 'MISS'
    console.log(
      [
        route.name.padEnd(7),
        rps.toFixed(0).padStart(6),
        meanOf(route.name, (r) => r.load.p99Ms).toFixed(2).padStart(6),
        cpu.toFixed(1).padStart(13),
        meanOf(route.name, (r) => r.redisUsPerReq).toFixed(1).padStart(16),
        `${ratio.toFixed(2)}x`.padStart(13),
        `${(cpu / bareCpu).toFixed(2)}x`.padStart(15),
        (route.policy?.startsWith('rl-') ? `${cpu - chainCpu >= 0 ? '+' : ''}${(cpu - chainCpu).toFixed(1)}` : '').padStart(17),
        (route.target === undefined ? '' : `>= ${route.target}x`).padStart(7),
        verdict.padStart(7),
      ].join('  '),
    )
  }
  if (rounds > 1) {
    // Each round's own bare run as the reference: drift over the run cancels, and the spread shows the noise.
    const bareOf = rows.filter((r) => r.name === 'bare')
    for (const route of ROUTES.filter((r) => r.target !== undefined)) {
      const ratios = rows.filter((r) => r.name === route.name).map((r, i) => r.load.rps / bareOf[i]!.load.rps)
      console.log(`${route.name.padEnd(7)} per round vs that round's bare: ${ratios.map((x) => x.toFixed(2)).join(' ')}; mean ${mean(ratios).toFixed(3)}x ± ${standardError(ratios).toFixed(3)} (standard error)`)
    }
  }
  console.log('figures move 10-40% between runs on a shared VM: compare within one run; CPU/req is steadier than req/s.')
}

runBench('limits', main)
