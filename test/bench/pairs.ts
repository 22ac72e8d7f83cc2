/**
 * Paired route bench: what a route's policies cost over a reference route, finer than a run of
 * routes in a fixed order can tell. One gateway serves a bundle whose routes all go to the same
 * cheap origin; short `wrk` runs alternate between the routes (reference, A, B, then B, A,
 * reference, and so on), and each route's CPU per request and req/s are compared with the
 * reference run of the same pass: the mean of those paired differences, with its standard error,
 * cancels the machine's drift and says how far to trust the figure.
 *
 *   npm run bench:pairs -- test/bench/pairs/rate-limit-headers.yaml [--pairs 8] [--duration 3]
 *                          [--warmup 2] [--connections 64] [--runtime node|bun|deno] [--no-pin]
 *
 * The bundle file is the gateway's policy format with `{{origin}}` where the origin's URL goes;
 * its first route is the reference. Every route needs a literal `match.path` answering GET.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { parse } from 'yaml'
import { pickLoadTool, runLoad } from './load.ts'
import { BenchUsageError, cpuDelta, cpuSnapshot, freePort, hasTaskset, pinPid, removeLogs, runBench, start, stopAll, waitReady } from './proc.ts'
import { mean, standardError } from './stats.ts'
import { GATEWAY_CLI, ROOT } from './targets.ts'

const CPU_HARNESS = 0 // origin, load generator, harness
const CPU_PROXY = 1 // the gateway

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    pairs: { type: 'string', default: '8' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    runtime: { type: 'string', default: 'node' },
    'no-pin': { type: 'boolean', default: false },
  },
})

function positive(name: string, value: string | undefined, min: number): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < min) throw new BenchUsageError(`--${name} must be a number >= ${min}`)
  return n
}

/** The literal paths of the bundle's routes, in order; the first is the reference. */
function routePaths(source: string, file: string): { id: string; path: string }[] {
  const doc = parse(source) as { routes?: { id?: string; match?: { path?: string } }[] } | null
  const routes = (doc?.routes ?? []).map((r) => ({ id: r.id ?? '?', path: r.match?.path ?? '' }))
  const bad = routes.find((r) => !r.path.startsWith('/') || /[{}*]/.test(r.path))
  if (bad) throw new BenchUsageError(`${file}: route "${bad.id}" needs a literal match.path (got "${bad.path}")`)
  const repeated = routes.find((r, i) => routes.findIndex((o) => o.path === r.path) !== i)
  if (repeated) throw new BenchUsageError(`${file}: route "${repeated.id}" has the path of an earlier route (${repeated.path})`)
  if (routes.length < 2) throw new BenchUsageError(`${file}: give at least two routes (the first is the reference)`)
  return routes
}

interface Sample {
  cpuUs: number
  rps: number
}

async function main(): Promise<void> {
  const [file] = positionals
  if (file === undefined) throw new BenchUsageError('usage: npm run bench:pairs -- <bundle.yaml> [--pairs N] [--duration S] [--warmup S] [--runtime node|bun|deno]')
  const pairs = positive('pairs', values.pairs, 2)
  const durationS = positive('duration', values.duration, 1)
  const warmupS = positive('warmup', values.warmup, 0)
  const connections = positive('connections', values.connections, 1)
  const runtime = values.runtime ?? 'node'
  if (!['node', 'bun', 'deno'].includes(runtime)) throw new BenchUsageError('--runtime must be node, bun or deno')
  if (!existsSync(file)) throw new BenchUsageError(`${file}: no such file`)
  const source = readFileSync(file, 'utf8')
  const routes = routePaths(source, file)
  const pin = hasTaskset && !values['no-pin']
  const tool = pickLoadTool()
  const cpu = pin ? CPU_HARNESS : undefined
  if (pin) pinPid(process.pid, CPU_HARNESS)

  const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-bench-pairs-'))
  const samples = new Map(routes.map((r) => [r.path, [] as Sample[]]))
  try {
    const originPort = await freePort()
    const origin = start('origin', process.execPath, ['--import', 'tsx', join(ROOT, 'test/bench/origin.ts'), String(originPort)], { cwd: ROOT, cpu })
    writeFileSync(join(tmp, 'bench.yaml'), source.replaceAll('{{origin}}', `http://127.0.0.1:${originPort}`))
    const port = await freePort()
    const gateway = start('gateway', process.execPath, [GATEWAY_CLI, 'gateway', '--policies', tmp, '--port', String(port), '--runtime', runtime], {
      cwd: ROOT,
      cpu: pin ? CPU_PROXY : undefined,
    })
    for (const [child, url] of [[origin, `http://127.0.0.1:${originPort}/bench`], [gateway, `http://127.0.0.1:${port}/health/ready`]] as const) {
      const why = await waitReady(child, url)
      if (why) throw new Error(`${url}: ${why}\n${child.output()}`)
    }
    console.log(`pairs bench (${runtime}): ${tool}, ${connections} connections, ${durationS} s per run, ${pairs} passes over ${routes.length} routes, pinning ${pin ? 'on' : 'off'}`)
    for (const { path } of routes) {
      const url = `http://127.0.0.1:${port}${path}`
      const probe = await fetch(url)
      await probe.arrayBuffer()
      if (probe.status !== 200) throw new Error(`GET ${path} answered ${probe.status}`)
      if (warmupS > 0) await runLoad({ tool, url, connections, durationS: warmupS, cpu })
    }
    for (let pass = 0; pass < pairs; pass++) {
      // Every other pass runs the routes in reverse, so no route always follows the same one.
      for (const { path } of pass % 2 === 0 ? routes : [...routes].reverse()) {
        const before = cpuSnapshot(gateway.pid)
        const load = await runLoad({ tool, url: `http://127.0.0.1:${port}${path}`, connections, durationS, cpu })
        if (load.errors > 0) throw new Error(`GET ${path}: ${load.errors} errors under load`)
        const cpuUs = (cpuDelta(before, cpuSnapshot(gateway.pid)) / Math.max(1, load.requests)) * 1e6
        samples.get(path)!.push({ cpuUs, rps: load.rps })
      }
      process.stdout.write(`pass ${pass + 1}/${pairs}\r`)
    }
  } finally {
    await stopAll()
    rmSync(tmp, { recursive: true, force: true })
    removeLogs()
  }

  const reference = samples.get(routes[0]!.path)!
  const width = Math.max(...routes.map((r) => `${r.id} (${r.path})`.length))
  console.log(`\n${'route'.padEnd(width)}  CPU us/req  over reference (± s.e.)   req/s  req/s vs reference (± s.e.)`)
  for (const { id, path } of routes) {
    const mine = samples.get(path)!
    const diffs = mine.map((s, i) => s.cpuUs - reference[i]!.cpuUs)
    const ratios = mine.map((s, i) => s.rps / reference[i]!.rps)
    const isReference = mine === reference
    console.log(
      [
        `${id} (${path})`.padEnd(width),
        mean(mine.map((s) => s.cpuUs)).toFixed(1).padStart(10),
        (isReference ? '' : `${mean(diffs) >= 0 ? '+' : ''}${mean(diffs).toFixed(2)} ± ${standardError(diffs).toFixed(2)}`).padStart(23),
        mean(mine.map((s) => s.rps)).toFixed(0).padStart(7),
        (isReference ? '' : `${mean(ratios).toFixed(3)}x ± ${standardError(ratios).toFixed(3)}`).padStart(27),
      ].join('  '),
    )
  }
  console.log('each figure is the mean over passes of the difference to (or ratio over) the reference run of the same pass')
}

runBench('pairs', main)
