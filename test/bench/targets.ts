/**
 * What the bench measures, per runtime: the bare runtime's proxy (baseline), the shell's
 * per-request contract alone (floor, `baselines/contract-proxy.ts`) and the gateway.
 * Every target proxies GET /bench to the same origin.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BENCH = join(ROOT, 'test/bench')
const BIN = join(ROOT, 'node_modules/.bin')
export const GATEWAY_CLI = join(ROOT, 'gateway/cli/gatehouse.js')

export type Runtime = 'node' | 'bun' | 'deno'

export interface Context {
  port: number
  originUrl: string
  policiesDir: string
  /** Extra arguments for gateway targets. */
  extraArgs: string[]
}

export interface Target {
  name: string
  runtime: Runtime
  kind: 'baseline' | 'floor' | 'gateway'
  description: string
  /** Path polled until 200 before the warm-up. */
  readyPath: string
  /** Why this target cannot run here, or undefined. */
  unavailable(): string | undefined
  command(ctx: Context): { cmd: string; args: string[]; env?: NodeJS.ProcessEnv }
}

/** Minimum gateway/baseline req/s ratio per runtime. */
export const RATIO_TARGETS: Record<Runtime, number> = { node: 0.9, bun: 0.8, deno: 0.8 }

const missing = (path: string, what: string) => (): string | undefined =>
  existsSync(path) ? undefined : `${what} not found at ${path}`

const runtimeBin: Record<Runtime, { path: string; check: () => string | undefined }> = {
  node: { path: process.execPath, check: () => undefined },
  bun: { path: join(BIN, 'bun'), check: missing(join(BIN, 'bun'), 'bun') },
  deno: { path: join(BIN, 'deno'), check: missing(join(BIN, 'deno'), 'deno') },
}

const quietEnv = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' }

function gateway(runtime: Runtime): Target {
  return {
    name: `gateway-${runtime}`,
    runtime,
    kind: 'gateway',
    description: `gatehouse gateway --runtime ${runtime}`,
    readyPath: '/health/ready',
    unavailable: () =>
      runtimeBin[runtime].check() ??
      (existsSync(GATEWAY_CLI) ? undefined : `gateway CLI not found at ${GATEWAY_CLI} (not written yet?)`),
    command: (ctx) => ({
      cmd: process.execPath,
      args: [
        GATEWAY_CLI,
        'gateway',
        '--policies',
        ctx.policiesDir,
        '--port',
        String(ctx.port),
        '--runtime',
        runtime,
        ...ctx.extraArgs,
      ],
      env: quietEnv,
    }),
  }
}

/** The contract floor on a runtime: the same listener and egress client as the gateway, no Hono, no routing. */
function floor(runtime: Runtime): Target {
  const script = join(BENCH, 'baselines/contract-proxy.ts')
  const run: Record<Runtime, string[]> = { node: ['--import', 'tsx', script], bun: [script], deno: ['run', '-A', script] }
  return {
    name: `contract-${runtime}`,
    runtime,
    kind: 'floor',
    description: `the shell's per-request contract alone on ${runtime}`,
    readyPath: '/bench',
    unavailable: runtimeBin[runtime].check,
    command: (ctx) => ({ cmd: runtimeBin[runtime].path, args: [...run[runtime], String(ctx.port), ctx.originUrl], env: quietEnv }),
  }
}

export const TARGETS: Target[] = [
  {
    name: 'node-http',
    runtime: 'node',
    kind: 'baseline',
    description: 'node:http proxy, keep-alive Agent, pipe',
    readyPath: '/bench',
    unavailable: () => undefined,
    command: (ctx) => ({
      cmd: process.execPath,
      args: ['--import', 'tsx', join(BENCH, 'baselines/node-http-proxy.ts'), String(ctx.port), ctx.originUrl],
    }),
  },
  floor('node'),
  gateway('node'),
  {
    name: 'bun-fetch',
    runtime: 'bun',
    kind: 'baseline',
    description: 'Bun.serve + fetch',
    readyPath: '/bench',
    unavailable: runtimeBin.bun.check,
    command: (ctx) => ({
      cmd: runtimeBin.bun.path,
      args: [join(BENCH, 'baselines/bun-proxy.ts'), String(ctx.port), ctx.originUrl],
      env: quietEnv,
    }),
  },
  floor('bun'),
  gateway('bun'),
  {
    name: 'deno-fetch',
    runtime: 'deno',
    kind: 'baseline',
    description: 'Deno.serve + fetch',
    readyPath: '/bench',
    unavailable: runtimeBin.deno.check,
    command: (ctx) => ({
      cmd: runtimeBin.deno.path,
      args: ['run', '-A', join(BENCH, 'baselines/deno-proxy.ts'), String(ctx.port), ctx.originUrl],
      env: quietEnv,
    }),
  },
  floor('deno'),
  gateway('deno'),
]

/**
 * `--only` filter: target names (node-http, contract-bun, gateway-bun, ...), runtimes (node, bun,
 * deno) or kinds (baselines, floors, gateways), comma-separated. Order stays baseline, floor,
 * gateway per runtime so the three run back to back.
 */
export function selectTargets(only: string | undefined): Target[] {
  if (!only) return TARGETS
  const words = only.split(',').map((w) => w.trim()).filter(Boolean)
  const known = new Set(['baselines', 'floors', 'gateways', 'node', 'bun', 'deno', ...TARGETS.map((t) => t.name)])
  const unknown = words.filter((w) => !known.has(w))
  if (unknown.length) throw new Error(`--only: unknown ${unknown.join(', ')} (known: ${[...known].join(', ')})`)
  return TARGETS.filter((t) =>
    words.some(
      (w) =>
        w === t.name ||
        w === t.runtime ||
        (w === 'baselines' && t.kind === 'baseline') ||
        (w === 'floors' && t.kind === 'floor') ||
        (w === 'gateways' && t.kind === 'gateway'),
    ),
  )
}
