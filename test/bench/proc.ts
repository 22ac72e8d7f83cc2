/**
 * Process plumbing for the bench: spawn children in their own process group (optionally
 * pinned to a CPU with taskset), keep the tail of their output, wait for readiness, kill whole
 * trees, and read CPU time from /proc.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const TAIL_BYTES = 8 * 1024

/** True when `cmd` is an executable on PATH. */
export function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export const hasTaskset = onPath('taskset')

/** Prefix for pinning a command to one CPU, or nothing when pinning is off. */
export function pinned(cpu: number | undefined, cmd: string, args: string[]): [string, string[]] {
  if (cpu === undefined || !hasTaskset) return [cmd, args]
  return ['taskset', ['-c', String(cpu), cmd, ...args]]
}

/** Pin every thread of an already-running process (used for the harness itself). */
export function pinPid(pid: number, cpu: number): boolean {
  if (!hasTaskset) return false
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export interface Child {
  name: string
  pid: number
  proc: ChildProcess
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>
  hasExited(): boolean
  /** Last few KB of stdout+stderr (read from its log file). */
  output(): string
}

const live = new Set<Child>()

// Children write stdout+stderr to a file, not a pipe: the harness shares CPU 0 with the origin
// and the load generator, so it should not spend CPU reading a gateway's access log.
let logDir: string | undefined
let logSeq = 0
function logPath(name: string): string {
  logDir ??= mkdtempSync(join(tmpdir(), 'gatehouse-bench-logs-'))
  return join(logDir, `${++logSeq}-${name}.log`)
}

/** Remove the children's log files (call when the bench is done). */
export function removeLogs(): void {
  if (logDir) rmSync(logDir, { recursive: true, force: true })
  logDir = undefined
}

function readTail(path: string): string {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const size = fstatSync(fd).size
    const len = Math.min(size, TAIL_BYTES)
    const buf = Buffer.alloc(len)
    readSync(fd, buf, 0, len, size - len)
    return buf.toString('utf8')
  } catch {
    return ''
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

export interface SpawnOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  cpu?: number
}

/** Spawn `cmd args` detached (own process group, so the whole tree can be killed). */
export function start(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Child {
  const [file, argv] = pinned(opts.cpu, cmd, args)
  const log = logPath(name)
  const fd = openSync(log, 'a')
  let spawnError = ''
  const proc = spawn(file, argv, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  let done = false
  const exited = new Promise<number | string>((resolve) => {
    proc.on('error', (err) => {
      spawnError = `spawn error: ${err.message}\n`
      done = true
      resolve('spawn-error')
    })
    proc.on('exit', (code, signal) => {
      done = true
      resolve(code ?? signal ?? 'unknown')
    })
  })
  const child: Child = {
    name,
    pid: proc.pid ?? -1,
    proc,
    exited,
    hasExited: () => done,
    output: () => readTail(log) + spawnError,
  }
  live.add(child)
  void exited.then(() => {
    if (!groupAlive(child.pid)) live.delete(child)
  })
  return child
}

function groupAlive(pgid: number): boolean {
  if (pgid <= 0) return false
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

interface Stat {
  pid: number
  ppid: number
  pgrp: number
  /** utime + stime, clock ticks. */
  ticks: number
}

function readStat(pid: number): Stat | undefined {
  let raw: string
  try {
    raw = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // comm (field 2) may contain spaces and parens: split after the last ')'.
  const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ')
  // rest[0] is field 3 (state); field N is rest[N - 3].
  return {
    pid,
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    ticks: Number(rest[11]) + Number(rest[12]),
  }
}

function allStats(): Stat[] {
  const out: Stat[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const s = readStat(Number(entry))
    if (s) out.push(s)
  }
  return out
}

/** `root` plus every live descendant and every process still in its process group. */
export function treePids(root: number): number[] {
  const stats = allStats()
  const kids = new Map<number, number[]>()
  for (const s of stats) {
    const list = kids.get(s.ppid) ?? []
    list.push(s.pid)
    kids.set(s.ppid, list)
  }
  const seen = new Set<number>()
  const queue = [root]
  while (queue.length) {
    const pid = queue.pop()!
    if (seen.has(pid)) continue
    seen.add(pid)
    queue.push(...(kids.get(pid) ?? []))
  }
  for (const s of stats) if (s.pgrp === root) seen.add(s.pid)
  return [...seen].filter((pid) => stats.some((s) => s.pid === pid))
}

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

export const hasProc = existsSync('/proc/self/stat')

/**
 * CPU seconds (user + system) used so far by a process tree. Per-pid snapshot so a delta
 * only counts processes alive at both ends (children that come and go are rare here).
 */
export function cpuSnapshot(root: number): Map<number, number> {
  const snap = new Map<number, number>()
  if (!hasProc) return snap
  for (const pid of treePids(root)) {
    const s = readStat(pid)
    if (s) snap.set(pid, s.ticks)
  }
  return snap
}

/** CPU seconds between two snapshots (processes new in `after` count from zero). */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let ticks = 0
  for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0)
  return ticks / CLK_TCK
}

/** SIGTERM the child's group and descendants, then SIGKILL whatever is left after `graceMs`. */
export async function stop(child: Child, graceMs = 3000): Promise<void> {
  const signalAll = (sig: NodeJS.Signals): void => {
    const pids = hasProc ? treePids(child.pid) : []
    try {
      process.kill(-child.pid, sig)
    } catch {
      /* group gone */
    }
    for (const pid of pids) {
      try {
        process.kill(pid, sig)
      } catch {
        /* gone */
      }
    }
  }
  if (child.pid > 0) {
    signalAll('SIGTERM')
    const deadline = Date.now() + graceMs
    while (Date.now() < deadline && (groupAlive(child.pid) || !child.hasExited())) await sleep(50)
    if (groupAlive(child.pid) || (hasProc && treePids(child.pid).length > 0)) signalAll('SIGKILL')
  }
  await Promise.race([child.exited, sleep(1000)])
  live.delete(child)
}

/** Synchronous last resort (process 'exit' handler): SIGKILL every group we started. */
export function killAllNow(): void {
  for (const child of live) {
    const pids = hasProc ? treePids(child.pid) : []
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      /* gone */
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        /* gone */
      }
    }
  }
  live.clear()
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => stop(c, 1500)))
}

/**
 * Poll `url` until it answers 200, the child exits, or `timeoutMs` passes.
 * Returns undefined when ready, else a reason.
 */
export async function waitReady(child: Child, url: string, timeoutMs = 20_000): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer'
  while (Date.now() < deadline) {
    if (child.hasExited()) return `exited (${await child.exited}) before ready`
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      if (res.status === 200) return undefined
      last = `HTTP ${res.status}`
    } catch (err) {
      last = (err as Error).cause ? String((err as { cause: unknown }).cause) : String(err)
    }
    await sleep(100)
  }
  return `not ready after ${timeoutMs / 1000} s (last: ${last})`
}

/** Per-CPU [busy, total] jiffies from /proc/stat (empty without /proc). */
export function cpuTimes(): Array<[number, number]> {
  if (!hasProc) return []
  const out: Array<[number, number]> = []
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line)
    if (!m) continue
    const v = m[2]!.split(/\s+/).map(Number)
    const total = v.reduce((a, b) => a + b, 0)
    const idle = (v[3] ?? 0) + (v[4] ?? 0) // idle + iowait
    out[Number(m[1])] = [total - idle, total]
  }
  return out
}

/** Busy fraction of each CPU between two cpuTimes() readings. */
export function cpuBusy(before: Array<[number, number]>, after: Array<[number, number]>): number[] {
  return after.map(([busy, total], i) => {
    const [b0, t0] = before[i] ?? [0, 0]
    return total > t0 ? (busy - b0) / (total - t0) : 0
  })
}

/** A mistake in how a bench was called (flags, files): reported in one line, exit 2. */
export class BenchUsageError extends Error {
  override name = 'BenchUsageError'
}

/**
 * Runs a bench's `main`: the children it started are killed whatever happens (also on exit).
 * A BenchUsageError prints its message and exits 2; any other failure prints
 * `<name> bench failed: <stack>` and exits 1.
 */
export function runBench(name: string, main: () => Promise<void>): void {
  process.on('exit', killAllNow)
  main().catch(async (err) => {
    const usage = err instanceof BenchUsageError
    console.error(usage ? `${name} bench: ${err.message}` : `\n${name} bench failed: ${(err as Error).stack ?? err}`)
    await stopAll()
    process.exit(usage ? 2 : 1)
  })
}
