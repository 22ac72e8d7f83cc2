import type { Client } from '@connectrpc/connect'
import type { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { ControlService } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import { createBatchingSink } from '../../internal/shell/access-log.ts'
import { mountRpc } from '../../internal/shell/rpc.ts'
import { listen, runNode } from '../../internal/shell/run.ts'
import type { Listener, Runtime } from '../../internal/shell/runtime/types.ts'
import { createShell } from '../../internal/shell/shell.ts'
import type { Shell } from '../../internal/shell/shell.ts'
import type { AuditLog } from './audit.ts'
import { createAuthenticator } from './auth.ts'
import type { AuthOptions } from './auth.ts'
import { createBundleStore } from './bundle-store.ts'
import { createGuard, debugReaders } from './guard.ts'
import { mountRest } from './rest.ts'
import { followHead } from './head-follower.ts'
import { createNodeTable } from './nodes.ts'
import { createControlService } from './service.ts'
import { headHash } from './stored.ts'


export interface ControlMainOptions {
  readonly hostname: string
  readonly port: number
  readonly version: string
  /** A client of the metadata service, where history and the current pointer live. */
  readonly metadata: Client<typeof MetadataService>
  readonly auth: AuthOptions
  readonly audit: AuditLog
  /** Per caller (default 20). */
  readonly callsPerSecond?: number
  readonly debugToken?: string | undefined
  readonly drainDeadlineMs?: number
  readonly onStopped?: () => Promise<void> | void
  /**
   * true (default): owns the process (drains on SIGTERM/SIGINT, then exits). false: co-hosted
   * (`gatehouse start`): whoever hosts it calls `stop()`.
   */
  readonly standalone?: boolean
  /** The runtime serves HTTPS (for the logged URL). */
  readonly secure?: boolean
}

export interface RunningControlGateway {
  readonly shell: Shell<object>
  readonly listener: Listener
  /** Ends the subscriptions, drains the listener (up to `deadlineMs`), then runs `onStopped`. */
  stop(deadlineMs: number): Promise<void>
}

/**
 * The control gateway as a process: the CN shell (health, metrics, access log, drain) serving
 * ControlService behind the guard (rate limit, JWT, scopes, audit of refusals). Ready once the
 * current pointer has been read from the metadata service.
 */
export async function runControlGateway(runtime: Runtime, options: ControlMainOptions): Promise<RunningControlGateway> {
  const sink = createBatchingSink(runtime.writeStdout)
  const authenticate = createAuthenticator(options.auth)
  // /debug/* takes the API's callers with the debug:read scope, or, when GATEHOUSE_DEBUG_TOKEN is
  // set, the shell's static debug token instead.
  const debugAuth = options.debugToken ? undefined : debugReaders(authenticate)
  const shell = createShell({ node: 'control', runtime, version: options.version, sink, debugToken: options.debugToken, debugAuth })
  const store = createBundleStore(options.metadata)
  let warned = false
  const follower = followHead(store, options.metadata, {
    onError: (err) => {
      if (!warned) shell.log.warn('metadata service unreachable; retrying', { error: String(err) })
      warned = true
    },
  })
  let ready = false
  void follower.ready.then(async () => {
    ready = true
    warned = false
    await store.repair().catch((err: unknown) => shell.log.warn('repairing version records failed', { error: String(err) }))
  })
  shell.lifecycle.addCheck('metadata', () => (ready ? undefined : 'current bundle pointer not read yet'))
  const nodes = createNodeTable()
  // Subscriptions never end on their own: a drain ends them so that gateways reconnect elsewhere.
  const stopping = new AbortController()
  shell.addDebugView('control', () => ({ head: headHash(follower.current()), nodes: nodes.list(follower.current()) }))

  shell.app.use('*', createGuard({ authenticate, audit: options.audit, callsPerSecond: options.callsPerSecond ?? 20 }))
  mountRest(shell.app, ControlService)
  mountRpc(shell.app, (router) => router.service(ControlService, createControlService({ store, follower, nodes, audit: options.audit, stopping: stopping.signal, metrics: shell.metrics })))

  const stopped = async () => {
    follower.close()
    await options.onStopped?.()
    sink.flush()
  }
  const bind = { hostname: options.hostname, port: options.port }
  const listener =
    options.standalone === false
      ? await listen(runtime, { ...bind, fetch: (request, info) => shell.app.fetch(request, info) })
      : await runNode(runtime, shell, { ...bind, drainDeadlineMs: options.drainDeadlineMs ?? 5_000, onDrain: () => stopping.abort(), onStopped: stopped })
  shell.lifecycle.markReady()
  shell.log.info('listening', { url: `${options.secure ? 'https' : 'http'}://${listener.hostname}:${listener.port}`, runtime: runtime.name })
  sink.flush()
  return {
    shell,
    listener,
    async stop(deadlineMs) {
      shell.lifecycle.startDrain()
      stopping.abort()
      await listener.drain(deadlineMs)
      await stopped()
    },
  }
}
