import { createClient } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'
import { StorageService } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { processingRoutes } from '../../processing/routes.ts'
import { createProcessingService } from '../../processing/service.ts'
import { NodeRole } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import type { Role } from '../role.ts'

/**
 * Where the processing node finds storage until discovery through the registry lands (with the
 * egress client): `GATEHOUSE_STORAGE_URL`, default the storage node of `gatehouse start`.
 */
const DEFAULT_STORAGE_URL = 'http://127.0.0.1:7101'

/** Tasks (digest, compress) on a bounded worker pool, reading and writing through storage. */
export const processingRole: Role = {
  name: 'processing',
  registryRole: NodeRole.PROCESSING,
  description: 'tasks with a bounded queue (OVERLOADED when full), streamed progress, cancel',
  async open({ env }) {
    const baseUrl = env('GATEHOUSE_STORAGE_URL') ?? DEFAULT_STORAGE_URL
    const storage = createClient(StorageService, createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: true }))
    const service = createProcessingService({ storage })
    return { routes: processingRoutes(service), close: () => service.close() }
  },
}
