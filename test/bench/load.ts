/**
 * Load generation: wrk when it is on PATH (pinned with taskset like the rest), else
 * autocannon's programmatic API in this process. Both report the same LoadResult.
 */
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { onPath, start, stop } from './proc.ts'

export type LoadTool = 'wrk' | 'autocannon'

export interface LoadOptions {
  tool: LoadTool
  url: string
  connections: number
  durationS: number
  /** CPU for the load generator (wrk only; autocannon runs in the harness process). */
  cpu?: number
  /** Request headers sent with every request (e.g. an Authorization bearer token). */
  headers?: Record<string, string>
  /** Default GET without a body. */
  method?: string
  body?: string
}

export interface LoadResult {
  tool: LoadTool
  requests: number
  durationS: number
  rps: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
  /** Socket errors, timeouts and non-2xx answers. */
  errors: number
  errorDetail: Record<string, number>
}

export const hasWrk = onPath('wrk')

/** wrk when available (or asked for), else autocannon. */
export function pickLoadTool(preferred?: string): LoadTool {
  if (preferred === 'autocannon') return 'autocannon'
  if (preferred === 'wrk' && !hasWrk) throw new Error('--loadgen wrk: wrk is not on PATH')
  if (preferred && preferred !== 'wrk') throw new Error(`--loadgen: unknown ${preferred} (wrk or autocannon)`)
  return hasWrk ? 'wrk' : 'autocannon'
}

const WRK_SCRIPT = fileURLToPath(new URL('./wrk-report.lua', import.meta.url))

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  return opts.tool === 'wrk' ? runWrk(opts) : runAutocannon(opts)
}

async function runWrk(opts: LoadOptions): Promise<LoadResult> {
  // One wrk thread is plenty when pinned to a single core; two otherwise.
  const threads = opts.cpu === undefined ? 2 : 1
  const args = [
    `-t${threads}`,
    `-c${opts.connections}`,
    `-d${opts.durationS}s`,
    '--timeout',
    '5s',
    '-s',
    WRK_SCRIPT,
    ...Object.entries(opts.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    opts.url,
  ]
  // wrk-report.lua reads the method and body from the environment (wrk has one script slot).
  const env = { ...process.env, BENCH_METHOD: opts.method ?? '', BENCH_BODY: opts.body ?? '' }
  const wrk = start('wrk', 'wrk', args, { cpu: opts.cpu, env })
  const code = await Promise.race([wrk.exited, sleep((opts.durationS + 20) * 1000).then(() => 'timeout' as const)])
  if (code === 'timeout') {
    await stop(wrk, 500)
    throw new Error(`wrk did not finish in ${opts.durationS + 20} s`)
  }
  await stop(wrk, 500)
  const line = wrk
    .output()
    .split('\n')
    .find((l) => l.startsWith('BENCH_JSON '))
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}):\n${wrk.output()}`)
  const r = JSON.parse(line.slice('BENCH_JSON '.length)) as {
    requests: number
    durationUs: number
    errors: Record<string, number>
    latencyUs: { p50: number; p90: number; p99: number; max: number }
  }
  const durationS = r.durationUs / 1e6
  const errors = Object.values(r.errors).reduce((a, b) => a + b, 0)
  return {
    tool: 'wrk',
    requests: r.requests,
    durationS,
    rps: r.requests / durationS,
    p50Ms: r.latencyUs.p50 / 1000,
    p90Ms: r.latencyUs.p90 / 1000,
    p99Ms: r.latencyUs.p99 / 1000,
    maxMs: r.latencyUs.max / 1000,
    errors,
    errorDetail: r.errors,
  }
}

async function runAutocannon(opts: LoadOptions): Promise<LoadResult> {
  const { default: autocannon } = await import('autocannon')
  const started = performance.now()
  const r = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.durationS,
    timeout: 5,
    headers: opts.headers,
    method: opts.method,
    body: opts.body,
  })
  const durationS = r.duration || (performance.now() - started) / 1000
  const detail = { errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx }
  return {
    tool: 'autocannon',
    requests: r.requests.total,
    durationS,
    rps: r.requests.total / durationS,
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    errors: r.errors + r.non2xx,
    errorDetail: detail,
  }
}
