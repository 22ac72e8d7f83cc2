import type { ConnectRouter } from '@connectrpc/connect'
import { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { RegistryService } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { createRegistryService, type RegistryServiceDeps } from './registry.ts'
import { createMetadataService, type MetadataServiceDeps } from './service.ts'

export interface MetadataRoutesDeps extends MetadataServiceDeps {
  /** Registry options; its leadership is `node` unless given here. */
  registry?: RegistryServiceDeps
}

/** The metadata role's Connect routes: MetadataService and the RegistryService it hosts. */
export function metadataRoutes(deps: MetadataRoutesDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(MetadataService, createMetadataService(deps))
    router.service(RegistryService, createRegistryService({ node: deps.node, ...deps.registry }))
  }
}
