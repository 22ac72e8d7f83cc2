import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'
import { mountDemoService } from '../../internal/demo/service.ts'
import { runtimeCommand } from '../../internal/shell/runtime/launch.ts'
import { createNodeRuntime } from '../../internal/shell/runtime/node.ts'
import type { Listener, RuntimeName } from '../../internal/shell/runtime/types.ts'
import { createShell } from '../../internal/shell/shell.ts'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Polls `check` every 50 ms until it returns a value other than null/undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined && value !== null && value !== false) return value
    } catch (err) {
      lastError = err
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`)
}

/** The demo service as a real upstream on 127.0.0.1 (a free port), in the test process. */
export async function startOrigin(): Promise<Listener & { url: string }> {
  const runtime = createNodeRuntime()
  const shell = createShell({ node: 'origin', runtime, version: 'test', sink: () => {}, accessLog: false })
  mountDemoService(shell.app)
  const listener = await runtime.serve({ hostname: '127.0.0.1', port: 0, fetch: (r, i) => shell.app.fetch(r, i) })
  shell.lifecycle.markReady()
  return Object.assign(listener, { url: `http://127.0.0.1:${listener.port}` })
}

/** A temporary policies directory holding the given files. */
export async function writeBundle(files: Record<string, string>, dir?: string): Promise<string> {
  const target = dir ?? (await mkdtemp(join(tmpdir(), 'gatehouse-e2e-')))
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(target, name), text)))
  return target
}

/**
 * A one-file bundle: services `origin` and `dead` (a closed port), then `extra` (more indented
 * services, then other sections), then the routes.
 */
export function bundleFor(originUrl: string, routes: string, extra = ''): Record<string, string> {
  return {
    'bundle.yaml': `services:
  origin:
    endpoints:
      - url: ${originUrl}
  dead:
    endpoints:
      - url: http://127.0.0.1:9
${extra}
routes:
${routes}`,
  }
}

export interface NodeProcess {
  readonly url: string
  readonly pid: number
  readonly child: ChildProcess
  /** Every stdout line so far, parsed as JSON where it is JSON. */
  readonly lines: Record<string, unknown>[]
  readonly stderr: string[]
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>
  stop(): Promise<number | string>
  /** Peak and current resident memory of the process, in bytes (from /proc). */
  memory(): Promise<{ rss: number; peak: number }>
}

export interface GatewayProcess extends NodeProcess {
  readonly runtime: RuntimeName
}

/**
 * Spawns a node process (any of our entries), collects its JSON log lines, and resolves once it
 * logs `{"msg":"listening"}` (its `url` becomes the process's url).
 */
export async function spawnNode(what: string, command: readonly string[]): Promise<NodeProcess> {
  const [file, ...argv] = command as [string, ...string[]]
  const child = spawn(file, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: Record<string, unknown>[] = []
  const stderr: string[] = []
  let partial = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk
    const parts = partial.split('\n')
    partial = parts.pop() ?? ''
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        lines.push({ text: line })
      }
    }
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk))
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  const listening = await waitFor(
    `${what} to listen (stderr: ${stderr.join('').slice(-500)})`,
    () => lines.find((l) => l.msg === 'listening'),
    20_000,
  ).catch((err) => {
    child.kill('SIGKILL')
    throw err
  })
  const pid = child.pid as number
  return {
    url: String(listening.url),
    pid,
    child,
    lines,
    stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      const result = await exited
      clearTimeout(timer)
      return result
    },
    async memory() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8')
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
      return { rss: kib('VmRSS'), peak: kib('VmHWM') }
    },
  }
}

/** Starts `gatehouse gateway` on a runtime as a real process on a free port; resolves once it listens. */
export async function startGateway(runtime: RuntimeName, policiesDir: string, args: string[] = []): Promise<GatewayProcess> {
  const entry = join(ROOT, 'gateway', 'runtime', `${runtime}.ts`)
  const command = runtimeCommand(runtime, entry, ['--policies', policiesDir, '--port', '0', '--watch-interval', '100', ...args])
  return { runtime, ...(await spawnNode(`${runtime} gateway`, command)) }
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

export interface GatewayFixture {
  origin: Awaited<ReturnType<typeof startOrigin>>
  dir: string
  gw: GatewayProcess
}

/**
 * Registers beforeAll/afterAll hooks (call it inside a describe): a demo origin, a bundle with
 * `routes` (and `extra` sections) pointing at it, and a gateway process on `runtime`.
 */
export function gatewayFixture(runtime: RuntimeName, routes: string, extra = ''): GatewayFixture {
  const fixture = {} as GatewayFixture
  beforeAll(async () => {
    fixture.origin = await startOrigin()
    fixture.dir = await writeBundle(bundleFor(fixture.origin.url, routes, extra))
    fixture.gw = await startGateway(runtime, fixture.dir)
  })
  afterAll(async () => {
    await fixture.gw?.stop()
    await fixture.origin?.drain(1000)
    if (fixture.dir) await removeDir(fixture.dir)
  })
  return fixture
}
