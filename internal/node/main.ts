import { createBatchingSink } from '../shell/access-log.ts'
import { listen, runNode } from '../shell/run.ts'
import { mountRpc } from '../shell/rpc.ts'
import type { Listener, Runtime } from '../shell/runtime/types.ts'
import { createShell } from '../shell/shell.ts'
import type { Shell } from '../shell/shell.ts'
import type { OpenedRole, Role } from './role.ts'

export interface RoleNodeOptions {
  readonly role: Role
  readonly dataDir: string
  readonly hostname: string
  readonly port: number
  readonly version: string
  readonly drainDeadlineMs?: number
  /**
   * true (default): the node owns the process (drains on SIGTERM/SIGINT, then exits).
   * false: co-hosted (e.g. `gatehouse start`): whoever hosts it calls `stop()`.
   */
  readonly standalone?: boolean
  /** Extra listeners of this runtime (Node: native gRPC over h2c), closed after the drain. */
  readonly extraListeners?: (opened: OpenedRole) => Promise<{ close(): Promise<void> }[]>
}

export interface RunningRoleNode {
  readonly shell: Shell<object>
  readonly listener: Listener
  readonly opened: OpenedRole
  /** Drains the listener (up to `deadlineMs`), closes extra listeners and the role's stores. */
  stop(deadlineMs: number): Promise<void>
}

/**
 * An internal node: the CN shell specialised by one role's Connect services (Connect and
 * gRPC-web on the shell's listener; native gRPC where the runtime adds an h2c listener).
 */
export async function runRoleNode(runtime: Runtime, options: RoleNodeOptions): Promise<RunningRoleNode> {
  const sink = createBatchingSink(runtime.writeStdout)
  const shell = createShell({ node: options.role.name, runtime, version: options.version, sink })
  let address = ''
  const opened = await options.role.open({ dataDir: options.dataDir, address: () => address, env: runtime.env })
  mountRpc(shell.app, opened.routes)
  const extra = (await options.extraListeners?.(opened)) ?? []
  const release = async () => {
    await Promise.all(extra.map((l) => l.close()))
    await opened.close()
    sink.flush()
  }
  const bind = { hostname: options.hostname, port: options.port }
  const listener =
    options.standalone === false
      ? await listen(runtime, { ...bind, fetch: (request, info) => shell.app.fetch(request, info) })
      : await runNode(runtime, shell, { ...bind, drainDeadlineMs: options.drainDeadlineMs, onStopped: release })
  address = `http://${listener.hostname}:${listener.port}`
  shell.lifecycle.markReady()
  shell.log.info('listening', {
    url: address,
    role: options.role.name,
    runtime: runtime.name,
    data: options.dataDir,
  })
  sink.flush()
  return {
    shell,
    listener,
    opened,
    async stop(deadlineMs) {
      shell.lifecycle.startDrain()
      await listener.drain(deadlineMs)
      await release()
    },
  }
}
