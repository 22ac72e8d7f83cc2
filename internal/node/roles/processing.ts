import { createClient } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'
import { StorageService } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { processingRoutes } from '../../processing/routes.ts'
import { createProcessingService } from '../../processing/service.ts'
import { createEgressTransport } from '../../shell/egress/client.ts'
import { createStaticEndpoints } from '../../shell/egress/discovery.ts'
import { NodeRole } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import type { Role } from '../role.ts'

/**
 * Where the processing node finds storage until discovery through the registry lands:
 * `GATEHOUSE_STORAGE_URL` (comma-separated for several nodes), default the storage node of
 * `gatehouse start`.
 */
const DEFAULT_STORAGE_URL = 'http://127.0.0.1:7101'

/** Tasks (digest, compress) on a bounded worker pool, reading and writing through storage. */
export const processingRole: Role = {
  name: 'processing',
  registryRole: NodeRole.PROCESSING,
  description: 'tasks with a bounded queue (OVERLOADED when full), streamed progress, cancel',
  async open({ env }) {
    const urls = (env('GATEHOUSE_STORAGE_URL') ?? DEFAULT_STORAGE_URL).split(',').map((u) => u.trim())
    // The egress client: balancing, breaker, retries of idempotent calls, deadlines, NOT_LEADER.
    // connect-node underneath: client streams (PutObject, WriteUpload) need it over HTTP/1.1.
    const transport = createEgressTransport({
      name: 'storage',
      endpoints: createStaticEndpoints(urls),
      transportFor: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: true }),
      zone: env('GATEHOUSE_ZONE'),
    })
    const service = createProcessingService({ storage: createClient(StorageService, transport) })
    return {
      routes: processingRoutes(service),
      close: async () => {
        await service.close()
        await transport.close()
      },
    }
  },
}
