/**
 * Security chain bench: in one gateway process per runtime, `GET /bench` with no policies beside
 * `GET /secure/bench` behind the security chain (default `waf, jwt, authorize`), measured back to
 * back in the same run against the same origin, with the same request headers (a valid bearer
 * token on both). Reports the chain's req/s and CPU-per-request ratios against the plain route.
 *
 *   npm run bench:security -- [--duration 5] [--warmup 2] [--rounds 2] [--connections 64] [--only node,bun]
 *                             [--chain waf,jwt,authorize] [--jwt-cache on|off] [--no-pin] [--gateway-args="--access-log off"]
 *
 * Every request carries the same token, so with the verified-token cache on (the default) the
 * signature is checked once per 30 s; `--jwt-cache off` verifies every request (the cost for
 * clients that never reuse a token).
 *
 * The chain is a bundle: the policies below, listed on the secured route in `--chain` order. A
 * type the gateway does not know yet (e.g. `waf` while it is being written) is left out, and
 * the report says so.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { runLoad, type LoadResult } from './load.ts'
import { cpuDelta, cpuSnapshot, freePort, hasProc, hasTaskset, pinPid, removeLogs, runBench, start, stop, stopAll, waitReady } from './proc.ts'
import { GATEWAY_CLI, ROOT, type Runtime } from './targets.ts'

const CPU_HARNESS = 0
const CPU_PROXY = 1
/** The issue's target: the chain may cost at most 30% of the plain route's throughput. */
const MIN_RATIO = 0.7

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    only: { type: 'string', default: 'node,bun' },
    chain: { type: 'string', default: 'waf,jwt,authorize' },
    'jwt-cache': { type: 'string', default: 'on' },
    'no-pin': { type: 'boolean', default: false },
    'gateway-args': { type: 'string', default: '' },
  },
})
const durationS = Number(values.duration)
const warmupS = Number(values.warmup)
const connections = Number(values.connections)
const rounds = Math.max(1, Number(values.rounds))
const pin = hasTaskset && !values['no-pin']
const runtimes = values.only.split(',').map((r) => r.trim()) as Runtime[]
const gatewayArgs = values['gateway-args'].split(/\s+/).filter(Boolean)

/** Each chain member's policy instance; `waf` runs on its defaults (paranoia 1, block). */
function policyYaml(type: string, jwk: object): string {
  switch (type) {
    case 'waf':
      return '  sec-waf:\n    type: waf\n'
    case 'jwt':
      return (
        `  sec-jwt:\n    type: jwt\n    issuer: https://id.bench.test/\n    audience: bench\n    jwks: { keys: [${JSON.stringify(jwk)}] }\n` +
        `    claims: { tenant: tid }\n${values['jwt-cache'] === 'off' ? '    cache: { maxEntries: 0 }\n' : ''}`
      )
    case 'authorize':
      return '  sec-authorize:\n    type: authorize\n    scopes: { all: [bench:read] }\n'
    case 'headers': // a near no-op: what any non-empty chain costs by itself
      return '  sec-headers:\n    type: headers\n    request: { remove: [x-bench-none] }\n'
    default:
      throw new Error(`--chain: no bench instance for "${type}" (known: waf, jwt, authorize, headers)`)
  }
}

async function knownTypes(): Promise<Set<string>> {
  const { POLICY_TYPES } = await import('../../gateway/src/policies/index.ts')
  return new Set(POLICY_TYPES.keys())
}

function writeBundle(dir: string, originUrl: string, chain: string[], jwk: object): void {
  const policies = chain.map((t) => policyYaml(t, jwk)).join('')
  writeFileSync(
    join(dir, 'bench.yaml'),
    `services:\n  origin:\n    endpoints:\n      - url: ${originUrl}\n` +
      (chain.length ? `policies:\n${policies}` : '') +
      'routes:\n' +
      `  - id: secured\n    match: { method: GET, path: /secure/bench }\n    policies: [${chain.map((t) => `sec-${t}`).join(', ')}]\n    http: origin\n` +
      '  - id: plain\n    match: { method: GET, path: /bench }\n    http: origin\n',
  )
}

interface Row { runtime: Runtime; route: string; load: LoadResult; cpuUsPerReq: number | undefined }

async function measure(runtime: Runtime, pid: number, url: string, route: string, headers: Record<string, string>): Promise<Row> {
  const cpu = pin ? CPU_HARNESS : undefined
  const before = cpuSnapshot(pid)
  const load = await runLoad({ tool: 'wrk', url, connections, durationS, cpu, headers })
  const cpuS = hasProc ? cpuDelta(before, cpuSnapshot(pid)) : undefined
  return { runtime, route, load, cpuUsPerReq: cpuS !== undefined && load.requests > 0 ? (cpuS / load.requests) * 1e6 : undefined }
}

/** Totals over a route's rounds: req/s over all requests, CPU per request averaged by requests. */
function summary(of: Row[]): { rps: number; cpuUsPerReq: number | undefined } | undefined {
  if (of.length === 0) return undefined
  const requests = of.reduce((n, r) => n + r.load.requests, 0)
  const seconds = of.reduce((n, r) => n + r.load.durationS, 0)
  const cpu = of.every((r) => r.cpuUsPerReq !== undefined) ? of.reduce((n, r) => n + (r.cpuUsPerReq ?? 0) * r.load.requests, 0) / requests : undefined
  return { rps: requests / seconds, cpuUsPerReq: cpu }
}

async function expectStatus(url: string, headers: Record<string, string>, status: number): Promise<void> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(3000) })
  const body = await res.text()
  if (res.status !== status) throw new Error(`GET ${url} answered ${res.status}, expected ${status}: ${body.slice(0, 300)}`)
}

async function main(): Promise<void> {
  const known = await knownTypes()
  const wanted = values.chain.split(',').map((t) => t.trim()).filter(Boolean)
  const chain = wanted.filter((t) => known.has(t))
  const missing = wanted.filter((t) => !known.has(t))
  const { publicKey, privateKey } = await generateKeyPair('ES256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'ES256' }
  const token = await new SignJWT({ sub: 'bench', tid: 'acme', scope: 'bench:read' })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench-1' })
    .setIssuer('https://id.bench.test/')
    .setAudience('bench')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey)
  const authorization = `Bearer ${token}`

  const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-bench-security-'))
  const rows: Row[] = []
  console.log(
    `security bench: chain [${chain.join(', ')}], jwt cache ${values['jwt-cache']}${missing.length ? ` (left out, not registered yet: ${missing.join(', ')})` : ''}; ` +
      `${connections} connections, ${warmupS} s warm-up per route, then ${rounds} round(s) of ${durationS} s per route, alternating; ${pin ? 'proxy pinned to CPU 1' : 'no pinning'}`,
  )
  try {
    if (pin) pinPid(process.pid, CPU_HARNESS)
    const originPort = await freePort()
    const origin = start('origin', process.execPath, ['--import', 'tsx', join(ROOT, 'test/bench/origin.ts'), String(originPort)], {
      cwd: ROOT,
      cpu: pin ? CPU_HARNESS : undefined,
    })
    const originUrl = `http://127.0.0.1:${originPort}`
    const notReady = await waitReady(origin, `${originUrl}/bench`)
    if (notReady) throw new Error(`origin: ${notReady}`)
    const policies = join(tmp, 'policies')
    mkdirSync(policies)
    writeBundle(policies, originUrl, chain, jwk)

    for (const runtime of runtimes) {
      const port = await freePort()
      const args = [GATEWAY_CLI, 'gateway', '--policies', policies, '--port', String(port), '--runtime', runtime, ...gatewayArgs]
      const gw = start(`gateway-${runtime}`, process.execPath, args, { cwd: ROOT, cpu: pin ? CPU_PROXY : undefined })
      try {
        const base = `http://127.0.0.1:${port}`
        const why = await waitReady(gw, `${base}/health/ready`)
        if (why) throw new Error(`gateway on ${runtime}: ${why}\n${gw.output()}`)
        await expectStatus(`${base}/bench`, { authorization }, 200)
        await expectStatus(`${base}/secure/bench`, { authorization }, 200)
        if (chain.includes('jwt')) await expectStatus(`${base}/secure/bench`, {}, 401) // the chain really runs
        const routes = [['plain', '/bench'], ['chain', '/secure/bench']] as const
        // Both routes warm (JIT) before either is measured; then they alternate, so drift on the VM hits both.
        for (const [, path] of routes) if (warmupS > 0) await runLoad({ tool: 'wrk', url: `${base}${path}`, connections, durationS: warmupS, cpu: pin ? CPU_HARNESS : undefined, headers: { authorization } })
        for (let round = 0; round < rounds; round++) {
          for (const [route, path] of round % 2 === 0 ? routes : [...routes].reverse()) {
            const row = await measure(runtime, gw.pid, `${base}${path}`, route, { authorization })
            rows.push(row)
            console.log(`- ${runtime} ${route.padEnd(5)} ${row.load.rps.toFixed(0)} req/s, p99 ${row.load.p99Ms.toFixed(2)} ms, ${row.cpuUsPerReq?.toFixed(1) ?? '-'} us CPU/req, errors ${row.load.errors}`)
          }
        }
      } finally {
        await stop(gw)
      }
    }
    await stop(origin)
  } finally {
    await stopAll()
    rmSync(tmp, { recursive: true, force: true })
    removeLogs()
  }

  console.log('\nruntime  chain/plain req/s  chain/plain CPU per req  target (req/s ratio)')
  for (const runtime of runtimes) {
    const plain = summary(rows.filter((r) => r.runtime === runtime && r.route === 'plain'))
    const secured = summary(rows.filter((r) => r.runtime === runtime && r.route === 'chain'))
    if (!plain || !secured) continue
    const ratio = secured.rps / plain.rps
    const cpu = plain.cpuUsPerReq && secured.cpuUsPerReq ? `${(secured.cpuUsPerReq / plain.cpuUsPerReq).toFixed(2)}x` : '-'
    console.log(`${runtime.padEnd(7)}  ${ratio.toFixed(2)}x${' '.repeat(13)}  ${cpu.padEnd(23)}  >= ${MIN_RATIO}x ${ratio >= MIN_RATIO ? 'PASS' : 'MISS'}`)
  }
  console.log('note: figures move 10-40% between runs on a shared VM; the two routes of a runtime run back to back in one process.')
}

runBench('security', main)
