import { create } from '@bufbuild/protobuf'
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt'
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect'
import { NodeSchema, RegistryService, type Node } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { realTimers, type Timers } from './change-signal.ts'
import { quote } from './errors.ts'
import { pageLimit } from './keys.ts'
import { requireLeader, type LeaderInfo } from './leader.ts'
import { decodePageToken, encodePageToken } from './page-token.ts'
import { advertised, createLeaseTable, type Lease, type NodeFilter } from './registry-leases.ts'
import { checkNodeId, checkRoleFilter, readRegistration } from './registry-validate.ts'

export interface RegistryServiceDeps {
  /** Unix ms; leases expire by it. */
  clock?: () => number
  /** Schedules the expiry sweep that tells watchers; tests drive it by hand. */
  timers?: Timers
  /** Leadership as in metadata.proto; absent means this node leads (the embedded single node). */
  node?: LeaderInfo
}

const toNode = (l: Lease): Node =>
  create(NodeSchema, {
    nodeId: l.nodeId,
    role: l.role,
    address: l.address,
    zone: l.zone,
    labels: { ...l.labels },
    ttl: durationFromMs(l.ttlMs),
    registerTime: timestampFromMs(l.registerTime),
    expireTime: timestampFromMs(l.expireTime),
  })

/** The page-token scope: a token is valid only with the filter it was issued for. */
const filterScope = (f: NodeFilter): string => `${f.role}|${f.zone}`

/**
 * RegistryService: leases in the leader's memory (registry.proto). Register is an idempotent
 * upsert by node id, Heartbeat renews (NOT_FOUND once expired), Deregister always succeeds, and
 * WatchNodes sends the whole matching set at once and again after each change that touches it.
 */
export function createRegistryService(deps: RegistryServiceDeps = {}): ServiceImpl<typeof RegistryService> {
  const leases = createLeaseTable(deps.clock ?? Date.now, deps.timers ?? realTimers)
  const lead = (): void => {
    if (deps.node) requireLeader(deps.node)
  }

  return {
    async listNodes(req) {
      lead()
      checkRoleFilter(req.role)
      const limit = pageLimit(req.pageSize)
      const after = decodePageToken(req.pageToken, filterScope(req), 'role or zone')
      const matching = leases.list(req).filter((l) => after === undefined || l.nodeId > after)
      const page = matching.slice(0, limit)
      const more = matching.length > limit
      return { nodes: page.map(toNode), nextPageToken: more ? encodePageToken(filterScope(req), page.at(-1)!.nodeId) : '' }
    },

    async *watchNodes(req, context) {
      lead()
      checkRoleFilter(req.role)
      let sent: string | undefined
      while (!context.signal.aborted) {
        const nodes = leases.list(req)
        const view = JSON.stringify(nodes.map(advertised))
        if (view !== sent) {
          sent = view
          yield { nodes: nodes.map(toNode) }
          continue // re-read before sleeping: changes made while suspended in `yield` are not missed
        }
        if ((await leases.changes.wait({ signal: context.signal })) === 'abort') return
        lead()
      }
    },

    async registerNode(req) {
      lead()
      return { node: toNode(leases.upsert(readRegistration(req))) }
    },

    async heartbeat(req) {
      lead()
      checkNodeId(req.nodeId)
      const lease = leases.renew(req.nodeId)
      if (!lease) {
        throw new ConnectError(
          `node ${quote(req.nodeId)} is not registered (its lease expired, or the leader changed): register again`,
          Code.NotFound,
        )
      }
      return { expireTime: timestampFromMs(lease.expireTime) }
    },

    async deregisterNode(req) {
      lead()
      checkNodeId(req.nodeId)
      leases.remove(req.nodeId)
      return {}
    },
  }
}
