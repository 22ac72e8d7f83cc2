import { Code, ConnectError, createClient } from '@connectrpc/connect'
import type { Transport } from '@connectrpc/connect'
import type { NodeRole } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { RegistryService } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import type { Logger } from '../shell/shell.ts'

export interface RegistrationOptions {
  /** A transport to the metadata node that hosts the registry. */
  readonly transport: Transport
  /** Stable across restarts, 1-128 of [A-Za-z0-9._:-]. */
  readonly nodeId: string
  readonly role: NodeRole
  readonly address: string
  readonly zone?: string
  readonly labels?: Readonly<Record<string, string>>
  /** Lease length; heartbeats go every third of it. Default 10 s. */
  readonly ttlMs?: number
  readonly log: Logger
}

export interface Registration {
  /** Ends heartbeats and deregisters (best effort, bounded by 1 s). */
  stop(): Promise<void>
}

/**
 * Keeps this node in the service registry: registers at once (retrying while the registry is
 * unreachable: the node serves meanwhile), heartbeats every ttl/3, registers again if its lease
 * was lost (NOT_FOUND), deregisters on stop (drain).
 */
export function startRegistration(options: RegistrationOptions): Registration {
  const registry = createClient(RegistryService, options.transport)
  const ttlMs = options.ttlMs ?? 10_000
  const callTimeoutMs = Math.max(1, Math.floor(ttlMs / 3)) // Connect wants whole milliseconds
  const lease = { seconds: BigInt(Math.floor(ttlMs / 1000)), nanos: (ttlMs % 1000) * 1e6 }
  let registered = false
  let warned = false
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined

  const register = () =>
    registry.registerNode(
      { nodeId: options.nodeId, role: options.role, address: options.address, zone: options.zone ?? '', labels: { ...options.labels }, ttl: lease },
      { timeoutMs: callTimeoutMs },
    )

  const tick = async () => {
    try {
      if (registered) await registry.heartbeat({ nodeId: options.nodeId }, { timeoutMs: callTimeoutMs })
      else {
        await register()
        registered = true
        warned = false
        options.log.info('registered', { nodeId: options.nodeId, address: options.address, ttlMs })
      }
    } catch (err) {
      const error = ConnectError.from(err)
      if (error.code === Code.NotFound) registered = false // the lease expired: register again now
      if (!warned) options.log.warn('registry unreachable or refused; retrying', { nodeId: options.nodeId, code: Code[error.code], error: error.rawMessage })
      warned = true
    }
    if (!stopped) timer = setTimeout(tick, registered ? callTimeoutMs : Math.min(1_000, callTimeoutMs))
  }
  void tick()

  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      if (!registered) return
      await registry.deregisterNode({ nodeId: options.nodeId }, { timeoutMs: 1_000 }).catch(() => {})
      registered = false
    },
  }
}

/** `k=v,k2=v2` (GATEHOUSE_LABELS) as a record; entries without `=` are ignored. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=')
    if (at > 0) labels[pair.slice(0, at).trim()] = pair.slice(at + 1).trim()
  }
  return labels
}
