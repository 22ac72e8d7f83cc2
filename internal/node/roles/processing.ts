import { createClient } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'
import { StorageService } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { processingRoutes } from '../../processing/routes.ts'
import { createProcessingService } from '../../processing/service.ts'
import { createEgressTransport } from '../../shell/egress/client.ts'
import { createStaticEndpoints } from '../../shell/egress/discovery.ts'
import { egressMetrics } from '../../shell/egress/metrics.ts'
import { NodeRole, RegistryService } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { createRegistryEndpoints } from '../../shell/egress/registry-endpoints.ts'
import type { Role } from '../role.ts'

/**
 * Where the processing node finds storage: the storage nodes in the registry when it joined one,
 * and `GATEHOUSE_STORAGE_URL` (comma-separated for several nodes; default the storage node of
 * `gatehouse start`) when it did not, or while the registry knows no storage node.
 */
const DEFAULT_STORAGE_URL = 'http://127.0.0.1:7101'

/** Tasks (digest, compress) on a bounded worker pool, reading and writing through storage. */
export const processingRole: Role = {
  name: 'processing',
  registryRole: NodeRole.PROCESSING,
  description: 'tasks with a bounded queue (OVERLOADED when full), streamed progress, cancel',
  async open({ env, registryUrl, metrics, transportFor }) {
    const urls = (env('GATEHOUSE_STORAGE_URL') ?? DEFAULT_STORAGE_URL).split(',').map((u) => u.trim())
    const discovery = registryUrl
      ? createRegistryEndpoints({
          registry: createClient(RegistryService, createConnectTransport({ baseUrl: registryUrl, httpVersion: '1.1' })),
          role: NodeRole.STORAGE,
          initial: urls,
        })
      : undefined
    // The egress client: balancing, breaker, retries of idempotent calls, deadlines, NOT_LEADER.
    // connect-node underneath: client streams (PutObject, WriteUpload) need it over HTTP/1.1.
    const transport = createEgressTransport({
      name: 'storage',
      endpoints: discovery ?? createStaticEndpoints(urls),
      transportFor: transportFor ?? ((baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: true })),
      zone: env('GATEHOUSE_ZONE'),
      observer: egressMetrics(metrics),
    })
    const service = createProcessingService({ storage: createClient(StorageService, transport) })
    return {
      routes: processingRoutes(service),
      close: async () => {
        await service.close()
        await transport.close()
        discovery?.close()
      },
    }
  },
}
