import type { ConnectRouter } from '@connectrpc/connect'
import { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { type StorageServiceOptions, createStorageService } from './service.ts'

/** The storage role's Connect routes (for connectNodeAdapter, createRouterTransport or a fetch handler). */
export function storageRoutes(options: StorageServiceOptions): (router: ConnectRouter) => void {
  const impl = createStorageService(options)
  return (router) => {
    router.service(StorageService, impl)
  }
}
