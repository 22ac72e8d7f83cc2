import { openLogStore } from '../../metadata/log-store.ts'
import { metadataRoutes } from '../../metadata/routes.ts'
import { NodeRole } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import type { Role } from '../role.ts'

/** Versioned records and the service registry; embedded: one node, always leader, log on disk. */
export const metadataRole: Role = {
  name: 'metadata',
  registryRole: NodeRole.METADATA,
  description: 'versioned records with compare-and-set, epochs and watch; the service registry',
  async open({ dataDir, address }) {
    const store = await openLogStore({ dir: dataDir })
    // The embedded single node leads for its whole life, in epoch 1.
    const node = { epoch: () => 1n, isLeader: () => true, leaderAddress: address }
    return { routes: metadataRoutes({ store, node }), close: () => store.close() }
  },
}
