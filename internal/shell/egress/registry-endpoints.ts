import { ConnectError } from '@connectrpc/connect'
import type { Client } from '@connectrpc/connect'
import type { NodeRole, RegistryService } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { createStaticEndpoints } from './discovery.ts'
import type { EndpointSource } from './discovery.ts'

export interface RegistryEndpointsOptions {
  /** A client of the registry (best through an egress transport to the metadata nodes). */
  readonly registry: Client<typeof RegistryService>
  readonly role: NodeRole
  /** Only nodes of this zone; empty or absent: every zone (the balancer still prefers the caller's). */
  readonly zone?: string | undefined
  /** Endpoints to use until the registry has answered, and whenever it knows no node of the role. */
  readonly initial?: readonly string[]
  /** Wait before watching again after the stream broke. Default 1 s. */
  readonly retryMs?: number
  readonly onError?: (error: ConnectError) => void
}

/**
 * Discovery through the service registry: `WatchNodes` sends the whole matching set at start
 * and after every change, and each message replaces the list (with `initial` when the registry
 * knows no such node, e.g. while nodes are still starting). While the registry is unreachable the
 * last known list stays in use and the watch is retried.
 */
export function createRegistryEndpoints(options: RegistryEndpointsOptions): EndpointSource & { close(): void } {
  const endpoints = createStaticEndpoints(options.initial ?? [])
  const abort = new AbortController()
  const retryMs = options.retryMs ?? 1_000

  const watch = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const stream = options.registry.watchNodes({ role: options.role, zone: options.zone ?? '' }, { signal: abort.signal })
        for await (const message of stream) {
          const found = message.nodes.map((n) => ({ url: n.address, zone: n.zone || undefined, labels: n.labels }))
          endpoints.update(found.length > 0 ? found : (options.initial ?? []))
        }
      } catch (err) {
        if (abort.signal.aborted) return
        options.onError?.(ConnectError.from(err))
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryMs)
        abort.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
      })
    }
  }
  void watch()

  return {
    current: () => endpoints.current(),
    subscribe: (listener) => endpoints.subscribe(listener),
    close: () => abort.abort(),
  }
}
