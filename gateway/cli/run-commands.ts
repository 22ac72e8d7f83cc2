import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { isRuntimeName, RUNTIMES, runtimeCommand } from '../../internal/shell/runtime/launch.ts'
import { createNodeRuntime } from '../../internal/shell/runtime/node.ts'
import { exitOnStartupError } from '../runtime/exit-on-startup-error.ts'
import { startRoleNode } from '../../internal/node/runtime/start-node.ts'
import { startGateway } from '../runtime/start.ts'
import type { Command } from './command.ts'
import { startTopology } from '../../deploy/local/topology.ts'

/** Splits `--runtime X` out of the arguments (default node). */
function takeRuntime(args: readonly string[]): { runtime: string; rest: string[] } {
  const rest = [...args]
  const i = rest.findIndex((a) => a === '--runtime' || a.startsWith('--runtime='))
  if (i < 0) return { runtime: 'node', rest }
  const [flag] = rest.splice(i, 1) as [string]
  const runtime = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : rest.splice(i, 1)[0]
  return { runtime: runtime ?? '', rest }
}

/** Runs a runtime entry as a child process, passing signals on; resolves to its exit code. */
function runChild(command: string[]): Promise<number> {
  const [file, ...args] = command as [string, ...string[]]
  const child = spawn(file, args, { stdio: 'inherit' })
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal))
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))))
}

export const gateway: Command = {
  name: 'gateway',
  usage: '[--runtime node|bun|deno] [--policies DIR] [--port N] [--host H] [--access-log on|off] [--drain-deadline MS]' +
    ' [--max-concurrency N] [--max-queue N] [--max-queue-wait MS] [--adaptive-min M]' +
    ' [--tls-cert FILE --tls-key FILE [--client-ca FILE] [--client-cert optional|required]] [--grpc-port N]' +
    ' [--upstream-cert FILE --upstream-key FILE] [--upstream-ca FILE]' +
    ' [--control URL [--label L]]',
  summary: 'run the edge gateway alone (port 8080 or $PORT); --control: bundles from a control gateway instead of --policies',
  async run(args) {
    const { runtime, rest } = takeRuntime(args)
    if (!isRuntimeName(runtime)) {
      console.error(`gatehouse gateway: --runtime must be one of ${RUNTIMES.join(', ')}, got "${runtime}"`)
      return 2
    }
    if (runtime === 'node') {
      await startGateway(createNodeRuntime(), rest).catch(exitOnStartupError)
      return new Promise<number>(() => {}) // runs until drained; the shell exits the process
    }
    const entry = fileURLToPath(new URL(`../runtime/${runtime}.ts`, import.meta.url))
    return runChild(runtimeCommand(runtime, entry, rest))
  },
}

export const node: Command = {
  name: 'node',
  usage: '--role storage|processing|metadata [--port N] [--grpc-port N] [--data DIR] [--host H] [--max-concurrency N] [--max-queue N] [--max-queue-wait MS] [--tls-cert F --tls-key F [--client-ca F] [--client-cert optional|required]]',
  summary: 'run one internal node (Connect + gRPC-web on --port, native gRPC on --grpc-port; Node runtime)',
  async run(args) {
    await startRoleNode(args).catch(exitOnStartupError)
    return new Promise<number>(() => {})
  },
}

export const start: Command = {
  name: 'start',
  usage: '[--port N] [--policies DIR]',
  summary: 'the whole topology on one machine on embedded defaults (gateway + demo upstream)',
  async run(args) {
    await startTopology(args).catch(exitOnStartupError)
    return new Promise<number>(() => {})
  },
}
