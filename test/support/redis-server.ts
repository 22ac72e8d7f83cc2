import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server']

/** A real redis-server for tests: own temp dir, no persistence, 127.0.0.1 on a port chosen once. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  readonly pid: number | undefined
  /** Kills the server (SIGKILL: a crash, not a shutdown); its data is gone (no persistence). */
  kill(): Promise<void>
  /** Freezes the server (SIGSTOP): connections stay open, commands hang until `resume`. */
  pause(): void
  resume(): void
  /** Starts it again on the same port (empty). */
  restart(): Promise<void>
  /** Stops it and removes its directory. */
  stop(): Promise<void>
}

function redisBinary(): string {
  const found = CANDIDATES.find((path) => existsSync(path))
  if (!found) {
    throw new Error(
      'redis-server is not installed: the Redis tests need a real server. Install it with ' +
        '`sudo apt-get install -y redis-server` (Debian/Ubuntu); .ci/run does this on CI.',
    )
  }
  return found
}

/** A free TCP port on 127.0.0.1 (the OS picks one; it is released for the server to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** One PING over a raw socket: true on +PONG within `timeoutMs`. */
export function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

async function untilPing(port: number, want: boolean, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if ((await ping(port)) === want) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`redis-server on port ${port} did not ${want ? 'start' : 'stop'} within ${timeoutMs} ms: ${output().slice(-500)}`)
}

/** Starts redis-server on a free 127.0.0.1 port in a temp dir (`--save "" --appendonly no`); resolves once it answers PING. */
export async function startRedis(): Promise<RedisServer> {
  const binary = redisBinary()
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-redis-'))
  const port = await freePort()
  let child: ChildProcess | undefined
  let output = ''
  const launch = async () => {
    output = ''
    child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (output += s))
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (output += s))
    await untilPing(port, true, 10_000, () => output)
  }
  const kill = async () => {
    const running = child
    if (!running || running.exitCode !== null || (running.signalCode !== null && running.signalCode !== 'SIGSTOP' && running.signalCode !== 'SIGCONT')) return
    const exited = new Promise((r) => running.once('exit', r))
    running.kill('SIGKILL')
    await exited
    await untilPing(port, false, 5_000, () => output)
  }
  await launch()
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    get pid() {
      return child?.pid
    },
    kill,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    restart: launch,
    async stop() {
      await kill()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
