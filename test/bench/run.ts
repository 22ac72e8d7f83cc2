/**
 * Gatehouse proxy bench: runs each target (baselines and the gateway on Node, Bun, Deno)
 * one at a time against the same origin, measures req/s, latency and the proxy's CPU time
 * per request, prints a table with gateway/baseline ratios and writes JSON results.
 *
 *   npm run bench -- [--duration 10] [--warmup 3] [--connections 64] [--only node,bun] [--no-pin]
 *                    [--loadgen wrk|autocannon] [--gateway-args "--access-log off"]
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, cpus, release } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  cpuBusy,
  cpuDelta,
  cpuSnapshot,
  cpuTimes,
  freePort,
  hasProc,
  hasTaskset,
  killAllNow,
  pinPid,
  removeLogs,
  start,
  stop,
  stopAll,
  waitReady,
  type Child,
} from './proc.ts'
import { hasWrk, pickLoadTool, runLoad, type LoadResult, type LoadTool } from './load.ts'
import { RATIO_TARGETS, ROOT, selectTargets, type Runtime, type Target } from './targets.ts'

const CPU_HARNESS = 0 // harness, origin, load generator
const CPU_PROXY = 1 // proxy under test
const ORIGIN_MARKER = 'gatehouse-bench-origin'
const BACKGROUND_WARN = 0.15

interface Config {
  durationS: number
  warmupS: number
  connections: number
  only?: string
  pin: boolean
  loadTool: LoadTool
  /** Extra arguments for every gateway target (e.g. --access-log off). */
  gatewayArgs: string[]
}

interface TargetResult {
  name: string
  runtime: Runtime
  kind: Target['kind']
  description: string
  status: 'ok' | 'skipped' | 'failed'
  reason?: string
  output?: string
  load?: LoadResult
  /** Proxy process tree CPU seconds over the measured run. */
  cpuS?: number
  cpuUsPerReq?: number
  /** Proxy CPU seconds / wall seconds (1.0 = one core busy). */
  cpuUtil?: number
  originCpuUtil?: number
  /** Busy fraction of the whole VM over 0.5 s before the warm-up, while the bench is idle. */
  backgroundBusy?: number
  /** Busy fraction of each CPU over the measured run (all processes on the VM). */
  cpuBusy?: number[]
}

interface Comparison {
  runtime: Runtime
  gateway: string
  baseline: string
  ratio?: number
  target: number
  verdict: 'PASS' | 'MISS' | 'n/a'
  cpuPerReqRatio?: number
  /** The contract floor's req/s over the baseline's: the most any proxy keeping the contract gets here. */
  floorRatio?: number
  /** The gateway's req/s over the floor's: what the gateway costs beyond the contract. */
  gatewayVsFloor?: number
}

function parseConfig(): Config {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '64' },
      only: { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      loadgen: { type: 'string' },
      'gateway-args': { type: 'string', default: '' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    console.log(
      'usage: npm run bench -- [--duration S] [--warmup S] [--connections N] [--only LIST] [--no-pin]\n' +
        '                       [--loadgen wrk|autocannon] [--gateway-args "--access-log off"]\n' +
        '  --only: comma-separated target names (node-http, contract-node, gateway-node, bun-fetch,\n' +
        '          contract-bun, gateway-bun, deno-fetch, contract-deno, gateway-deno), runtimes\n' +
        '          (node, bun, deno) or kinds (baselines, floors, gateways)',
    )
    process.exit(0)
  }
  const num = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v)
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}`)
    return n
  }
  return {
    durationS: num('duration', values.duration, 1),
    warmupS: num('warmup', values.warmup, 0),
    connections: num('connections', values.connections, 1),
    only: values.only,
    pin: hasTaskset && !values['no-pin'],
    loadTool: pickLoadTool(values.loadgen),
    gatewayArgs: values['gateway-args'].split(/\s+/).filter(Boolean),
  }
}

function writePolicies(dir: string, originPort: number): void {
  writeFileSync(
    join(dir, 'bench.yaml'),
    [
      'services:',
      '  origin:',
      '    endpoints:',
      `      - url: http://127.0.0.1:${originPort}`,
      'routes:',
      '  - id: bench',
      '    match: { path: /bench }',
      '    http: origin',
      '',
    ].join('\n'),
  )
}

/** One GET through the target: must be 200 with the origin's body. */
async function checkForwarding(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) })
    const body = await res.text()
    if (res.status !== 200) return `GET /bench answered ${res.status}: ${body.slice(0, 200)}`
    if (!body.includes(ORIGIN_MARKER)) return `GET /bench body is not the origin's: ${body.slice(0, 200)}`
    return undefined
  } catch (err) {
    return `GET /bench failed: ${String((err as Error).cause ?? err)}`
  }
}

async function benchTarget(
  target: Target,
  cfg: Config,
  origin: { child: Child; url: string },
  policiesDir: string,
): Promise<TargetResult> {
  const base = { name: target.name, runtime: target.runtime, kind: target.kind, description: target.description }
  const why = target.unavailable()
  if (why) return { ...base, status: 'skipped', reason: why }

  const port = await freePort()
  const { cmd, args, env } = target.command({ port, originUrl: origin.url, policiesDir, extraArgs: cfg.gatewayArgs })
  const proxy = start(target.name, cmd, args, { cwd: ROOT, env, cpu: cfg.pin ? CPU_PROXY : undefined })
  const url = `http://127.0.0.1:${port}/bench`
  try {
    const notReady = await waitReady(proxy, `http://127.0.0.1:${port}${target.readyPath}`)
    if (notReady) return { ...base, status: 'failed', reason: `start: ${notReady}`, output: proxy.output() }
    const notForwarding = await checkForwarding(url)
    if (notForwarding) return { ...base, status: 'failed', reason: notForwarding, output: proxy.output() }

    const idleBefore = cpuTimes()
    await sleep(500)
    const idleBusy = cpuBusy(idleBefore, cpuTimes())
    const backgroundBusy = idleBusy.length ? idleBusy.reduce((a, b) => a + b, 0) / idleBusy.length : undefined

    const loadCpu = cfg.pin ? CPU_HARNESS : undefined
    if (cfg.warmupS > 0) await runLoad({ tool: cfg.loadTool, url, connections: cfg.connections, durationS: cfg.warmupS, cpu: loadCpu })

    const before = cpuSnapshot(proxy.pid)
    const originBefore = cpuSnapshot(origin.child.pid)
    const machineBefore = cpuTimes()
    const load = await runLoad({ tool: cfg.loadTool, url, connections: cfg.connections, durationS: cfg.durationS, cpu: loadCpu })
    const cpuS = hasProc ? cpuDelta(before, cpuSnapshot(proxy.pid)) : undefined
    const originCpuS = hasProc ? cpuDelta(originBefore, cpuSnapshot(origin.child.pid)) : undefined
    const busy = cpuBusy(machineBefore, cpuTimes())

    if (proxy.hasExited()) {
      return { ...base, status: 'failed', reason: `exited during the run (${await proxy.exited})`, output: proxy.output(), load }
    }
    return {
      ...base,
      status: 'ok',
      load,
      cpuS,
      cpuUsPerReq: cpuS !== undefined && load.requests > 0 ? (cpuS / load.requests) * 1e6 : undefined,
      cpuUtil: cpuS !== undefined ? cpuS / load.durationS : undefined,
      originCpuUtil: originCpuS !== undefined ? originCpuS / load.durationS : undefined,
      cpuBusy: busy.length ? busy : undefined,
      backgroundBusy,
    }
  } catch (err) {
    return { ...base, status: 'failed', reason: String((err as Error).message ?? err), output: proxy.output() }
  } finally {
    await stop(proxy)
  }
}

function compare(results: TargetResult[]): Comparison[] {
  const out: Comparison[] = []
  for (const runtime of ['node', 'bun', 'deno'] as const) {
    const gw = results.find((r) => r.runtime === runtime && r.kind === 'gateway')
    const bl = results.find((r) => r.runtime === runtime && r.kind === 'baseline')
    if (!gw || !bl) continue
    const c: Comparison = {
      runtime,
      gateway: gw.name,
      baseline: bl.name,
      target: RATIO_TARGETS[runtime],
      verdict: 'n/a',
    }
    if (gw.load && bl.load && gw.status === 'ok' && bl.status === 'ok') {
      c.ratio = gw.load.rps / bl.load.rps
      c.verdict = c.ratio >= c.target ? 'PASS' : 'MISS'
      if (gw.cpuUsPerReq && bl.cpuUsPerReq) c.cpuPerReqRatio = gw.cpuUsPerReq / bl.cpuUsPerReq
    }
    const fl = results.find((r) => r.runtime === runtime && r.kind === 'floor')
    if (fl?.load && fl.status === 'ok') {
      if (bl.load && bl.status === 'ok') c.floorRatio = fl.load.rps / bl.load.rps
      if (gw.load && gw.status === 'ok') c.gatewayVsFloor = gw.load.rps / fl.load.rps
    }
    out.push(c)
  }
  return out
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  const [head, ...body] = rows
  return [line(head!), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

const fmt = (n: number | undefined, digits = 0): string => (n === undefined ? '-' : n.toFixed(digits))

function report(results: TargetResult[], comparisons: Comparison[]): void {
  const rows = [['target', 'req/s', 'p50 ms', 'p99 ms', 'CPU us/req', 'proxy CPU', 'origin CPU', 'CPUs busy', 'errors']]
  for (const r of results) {
    if (r.status !== 'ok' || !r.load) {
      rows.push([r.name, r.status.toUpperCase(), '', '', '', '', '', '', ''])
      continue
    }
    const l = r.load
    rows.push([
      r.name,
      fmt(l.rps),
      fmt(l.p50Ms, 2),
      fmt(l.p99Ms, 2),
      fmt(r.cpuUsPerReq, 1),
      r.cpuUtil === undefined ? '-' : `${(r.cpuUtil * 100).toFixed(0)}%`,
      r.originCpuUtil === undefined ? '-' : `${(r.originCpuUtil * 100).toFixed(0)}%`,
      r.cpuBusy ? r.cpuBusy.map((b) => (b * 100).toFixed(0)).join('/') + '%' : '-',
      l.errors ? `${l.errors} (${((l.errors / Math.max(l.requests, 1)) * 100).toFixed(1)}%)` : '0',
    ])
  }
  console.log('\n' + table(rows))

  if (comparisons.length) {
    const crow = [['gateway vs baseline', 'req/s ratio', 'target', 'verdict', 'CPU/req ratio', 'floor vs baseline', 'gateway vs floor']]
    for (const c of comparisons) {
      crow.push([
        `${c.gateway} vs ${c.baseline}`,
        c.ratio === undefined ? '-' : `${c.ratio.toFixed(2)}x`,
        `>= ${c.target}x`,
        c.verdict,
        c.cpuPerReqRatio === undefined ? '-' : `${c.cpuPerReqRatio.toFixed(2)}x`,
        c.floorRatio === undefined ? '-' : `${c.floorRatio.toFixed(2)}x`,
        c.gatewayVsFloor === undefined ? '-' : `${c.gatewayVsFloor.toFixed(2)}x`,
      ])
    }
    console.log('\n' + table(crow))
    console.log('(CPU/req ratio = gateway CPU per request / baseline CPU per request; lower is better.')
    console.log(" floor = the shell's per-request contract alone (contract-<runtime>), req/s ratios)")
  }
  console.log(
    'proxy CPU = proxy process tree CPU time / wall time (100% = one core); origin CPU likewise; ' +
      'CPUs busy = whole-machine busy % per CPU (cpu0/cpu1). A target whose proxy CPU is well under ' +
      '100% while CPU0 is ~100% was limited by the origin/load generator, not by itself.',
  )

  for (const r of results.filter((r) => r.status !== 'ok')) {
    console.log(`\n${r.status.toUpperCase()} ${r.name}: ${r.reason}`)
    const out = r.output?.trim()
    if (out) console.log(out.split('\n').slice(-25).map((l) => `  | ${l}`).join('\n'))
  }
}

async function main(): Promise<void> {
  const cfg = parseConfig()
  const targets = selectTargets(cfg.only)
  const gatewayNote = cfg.gatewayArgs.length ? `; gateway extra args: ${cfg.gatewayArgs.join(' ')}` : ''
  const startedAt = new Date()

  if (cfg.pin) pinPid(process.pid, CPU_HARNESS)
  console.log(
    `Gatehouse bench: ${targets.length} target(s), ${cfg.connections} connections, ` +
      `${cfg.warmupS} s warm-up + ${cfg.durationS} s measured each, load generator: ${cfg.loadTool}${gatewayNote}` +
      (cfg.loadTool === 'autocannon'
        ? ` (${hasWrk ? 'as asked' : 'wrk not on PATH'}; autocannon runs inside the harness process)`
        : ''),
  )
  console.log(
    cfg.pin
      ? `CPU pinning (taskset): proxy under test on CPU ${CPU_PROXY}; origin, load generator and harness on CPU ${CPU_HARNESS}`
      : `CPU pinning off (${hasTaskset ? '--no-pin' : 'taskset not found'}): all processes share all CPUs`,
  )
  if (cpus().length < 2 && cfg.pin) console.log('warning: fewer than 2 CPUs, pinning puts everything on one core')

  const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
  const policiesDir = join(tmp, 'policies')
  mkdirSync(policiesDir)
  const results: TargetResult[] = []
  try {
    const originPort = await freePort()
    writePolicies(policiesDir, originPort)
    const originChild = start('origin', process.execPath, ['--import', 'tsx', join(ROOT, 'test/bench/origin.ts'), String(originPort)], {
      cwd: ROOT,
      cpu: cfg.pin ? CPU_HARNESS : undefined,
    })
    const origin = { child: originChild, url: `http://127.0.0.1:${originPort}` }
    const notReady = await waitReady(originChild, `${origin.url}/bench`)
    if (notReady) throw new Error(`origin: ${notReady}\n${originChild.output()}`)

    for (const target of targets) {
      process.stdout.write(`- ${target.name.padEnd(13)} ${target.description} ... `)
      const r = await benchTarget(target, cfg, origin, policiesDir)
      results.push(r)
      console.log(
        r.status === 'ok' && r.load
          ? `${fmt(r.load.rps)} req/s, p99 ${fmt(r.load.p99Ms, 2)} ms, ${fmt(r.cpuUsPerReq, 1)} us CPU/req`
          : `${r.status}: ${r.reason?.split('\n')[0]}`,
      )
      if ((r.backgroundBusy ?? 0) > BACKGROUND_WARN) {
        console.log(
          `  warning: the VM was ${((r.backgroundBusy ?? 0) * 100).toFixed(0)}% busy just before this run ` +
            'with the bench idle: other work is running, figures will be noisy',
        )
      }
      if (originChild.hasExited()) throw new Error(`origin exited (${await originChild.exited}):\n${originChild.output()}`)
    }
    await stop(originChild)
  } finally {
    await stopAll()
    rmSync(tmp, { recursive: true, force: true })
    removeLogs()
  }

  const comparisons = compare(results)
  report(results, comparisons)

  const dir = join(ROOT, 'test/bench/results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
  const json = {
    startedAt: startedAt.toISOString(),
    host: { cpus: cpus().length, cpuModel: cpus()[0]?.model, kernel: release(), node: process.version },
    config: { ...cfg, pinning: cfg.pin ? { proxy: CPU_PROXY, originAndLoad: CPU_HARNESS } : null },
    results,
    comparisons,
  }
  writeFileSync(file, JSON.stringify(json, null, 2) + '\n')
  console.log(`\nresults: ${file}`)
  console.log('note: figures move 10-40% between runs on a shared VM; compare within one run (CPU/req is steadier).')
}

let stopping = false
process.on('exit', killAllNow)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (stopping) return
    stopping = true
    console.error(`\n${sig}: stopping bench processes`)
    void stopAll().finally(() => process.exit(130))
  })
}

main().catch(async (err) => {
  console.error(`\nbench failed: ${(err as Error).stack ?? err}`)
  await stopAll()
  process.exit(1)
})
