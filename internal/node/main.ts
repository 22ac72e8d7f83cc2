import { createConnectTransport } from '@connectrpc/connect-web'
import { createBatchingSink } from '../shell/access-log.ts'
import { listen, runNode } from '../shell/run.ts'
import { withStandardGrpc } from '../shell/grpc-standard/routes.ts'
import { mountRpc } from '../shell/rpc.ts'
import type { Listener, Runtime } from '../shell/runtime/types.ts'
import { createShell } from '../shell/shell.ts'
import type { Shell, ShellOptions } from '../shell/shell.ts'
import { parseLabels, startRegistration } from './registration.ts'
import type { Registration } from './registration.ts'
import type { OpenedRole, Role, RoleContext } from './role.ts'

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
  /** The URL peers reach this node at; default `http://<hostname>:<port>` as listened on. */
  readonly advertiseUrl?: string | undefined
  /** The metadata node hosting the service registry: register on start, leave on drain. */
  readonly registryUrl?: string | undefined
  /** Extra listeners of this runtime (Node: native gRPC over h2c), closed after the drain. */
  readonly extraListeners?: (opened: OpenedRole) => Promise<{ close(): Promise<void> }[]>
  /** Process-wide concurrency limit with a bounded queue on the shell's listener (absent = none). */
  readonly admission?: ShellOptions['admission']
  /**
   * Takes the data directory for this node (released on stop), so that two nodes never write one
   * directory; the runtime entry provides it (runtime/data-lock.ts). Absent: no lock.
   */
  readonly lockDataDir?: ((dir: string) => Promise<{ release(): Promise<void> }>) | undefined
  /** The listener serves HTTPS (the runtime passed in does TLS): the default advertised URL says so. */
  readonly https?: boolean
  /** East-west transport for the role's egress clients (mTLS); see RoleContext. */
  readonly transportFor?: RoleContext['transportFor']
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
  const shell = createShell({ node: options.role.name, runtime, version: options.version, sink, admission: options.admission })
  let address = ''
  const lock = (await options.lockDataDir?.(options.dataDir)) ?? { release: async () => {} }
  const roleOpened = await options.role
    .open({ dataDir: options.dataDir, address: () => address, env: runtime.env, registryUrl: options.registryUrl, metrics: shell.metrics, transportFor: options.transportFor })
    .catch(async (err: unknown) => {
      await lock.release()
      throw err
    })
  // Like any gRPC server: grpc.health.v1 (backed by readiness) and server reflection beside the role's services.
  const opened: OpenedRole = {
    routes: withStandardGrpc(roleOpened.routes, () => shell.lifecycle.readiness().ready),
    close: () => roleOpened.close(),
  }
  mountRpc(shell.app, opened.routes)
  const extra = (await options.extraListeners?.(opened)) ?? []
  let registration: Registration | undefined
  const leave = async () => {
    await registration?.stop()
  }
  const release = async () => {
    await leave()
    await Promise.all(extra.map((l) => l.close()))
    await opened.close()
    await lock.release()
    sink.flush()
  }
  const bind = { hostname: options.hostname, port: options.port }
  const listener =
    options.standalone === false
      ? await listen(runtime, { ...bind, fetch: (request, info) => shell.app.fetch(request, info) })
      : await runNode(runtime, shell, { ...bind, drainDeadlineMs: options.drainDeadlineMs, onDrain: leave, onStopped: release })
  address = options.advertiseUrl ?? `${options.https ? 'https' : 'http'}://${listener.hostname}:${listener.port}`
  if (options.registryUrl) {
    registration = startRegistration({
      // With TLS material, the registry is reached like any peer: https with this node's certificate.
      transport: options.transportFor?.(options.registryUrl) ?? createConnectTransport({ baseUrl: options.registryUrl }),
      nodeId: `${options.role.name}-${listener.hostname}-${listener.port}`.replace(/[^A-Za-z0-9._:-]/g, '_'),
      role: options.role.registryRole,
      address,
      zone: runtime.env('GATEHOUSE_ZONE'),
      labels: parseLabels(runtime.env('GATEHOUSE_LABELS')),
      log: shell.log,
    })
  }
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
      await leave()
      await listener.drain(deadlineMs)
      await release()
    },
  }
}
