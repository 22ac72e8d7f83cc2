import type { ConnectRouter } from '@connectrpc/connect'
import { ProcessingService } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { ProcessingServiceImpl } from './service.ts'

/**
 * The processing role's Connect routes (for the shell's mountRpc, connectNodeAdapter or
 * createRouterTransport). Takes the service rather than its options because the caller also
 * owns its `close()` (call it on drain).
 */
export function processingRoutes(service: ProcessingServiceImpl): (router: ConnectRouter) => void {
  return (router) => {
    router.service(ProcessingService, service)
  }
}
