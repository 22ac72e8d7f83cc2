import type { NodeRole } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import type { Transport } from '@connectrpc/connect'
import type { Registry } from '../shell/metrics.ts'
import type { RpcRoutes } from '../shell/rpc.ts'

/** What a role needs to open its embedded stores. */
export interface RoleContext {
  /** This role's own data directory; the role's stores create it (durably) when they need it. */
  readonly dataDir: string
  /** This node's base URL (`http://host:port`); known once it listens, so read it lazily. */
  address(): string
  /** The metadata node whose registry this node joined, if any (roles discover peers through it). */
  readonly registryUrl: string | undefined
  /** The process environment (roles read their few settings from it). */
  env(name: string): string | undefined
  /** The node's metrics registry (e.g. for the egress client's counters). */
  readonly metrics: Registry
  /** The egress client's per-endpoint transport when the node has TLS material (mTLS east-west); absent = cleartext Connect. */
  readonly transportFor?: ((baseUrl: string) => Transport) | undefined
}

/** A role opened on its stores: the services it serves and how to close it. */
export interface OpenedRole {
  readonly routes: RpcRoutes
  close(): Promise<void>
}

/** One internal role (storage, processing, metadata): the CN shell plus the services it mounts. */
export interface Role {
  readonly name: string
  /** How the role appears in the service registry. */
  readonly registryRole: NodeRole
  readonly description: string
  open(context: RoleContext): Promise<OpenedRole>
}
