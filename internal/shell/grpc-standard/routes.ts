import type { DescFile } from '@bufbuild/protobuf'
import { createConnectRouter } from '@connectrpc/connect'
import type { ConnectRouter } from '@connectrpc/connect'
import { file_grpc_health_v1_health, Health } from '../../../proto/gen/grpc/health/v1/health_pb.ts'
import { file_grpc_reflection_v1_reflection } from '../../../proto/gen/grpc/reflection/v1/reflection_pb.ts'
import { file_grpc_reflection_v1alpha_reflection } from '../../../proto/gen/grpc/reflection/v1alpha/reflection_pb.ts'
import { createHealthService, readinessCheck } from './health.ts'
import type { HealthCheck, HealthOptions } from './health.ts'
import { createReflectionServices } from './reflection.ts'

/** Registers services on a router (the shape of a role's `routes`). */
export type Routes = (router: ConnectRouter) => void

export interface StandardGrpcOptions {
  /** The generated files (`file_*` exports) of the services the node serves; their imports come along. */
  readonly files: readonly DescFile[]
  /** The health of "" (the node) and of each service; see `readinessCheck`. */
  readonly check: HealthCheck
  /** How Watch notices changes (default: polls `check` every second). */
  readonly watch?: Pick<HealthOptions, 'pollMs' | 'subscribe'>
}

/** The files of the standard services themselves, so that reflection describes them too (as grpc-go does). */
const STANDARD_FILES: readonly DescFile[] = [
  file_grpc_health_v1_health,
  file_grpc_reflection_v1_reflection,
  file_grpc_reflection_v1alpha_reflection,
]

/**
 * `grpc.health.v1.Health` and server reflection (`grpc.reflection.v1` and `v1alpha`) over the
 * node's files. Health's List reports "" and the services declared in `files`.
 */
export function standardGrpcRoutes(options: StandardGrpcOptions): Routes {
  const services = [...new Set(options.files.flatMap((file) => file.services.map((service) => service.typeName)))]
  const reflection = createReflectionServices([...options.files, ...STANDARD_FILES])
  const health = createHealthService(options.check, { ...options.watch, services })
  return (router) => {
    router.service(Health, health)
    reflection(router)
  }
}

/** The files and full service names that `routes` registers (found by running it on a throwaway router). */
export function describeRoutes(routes: Routes): { files: DescFile[]; services: string[] } {
  const router = createConnectRouter()
  routes(router)
  const served = [...new Set(router.handlers.map((handler) => handler.service))]
  return { files: [...new Set(served.map((service) => service.file))], services: served.map((service) => service.typeName) }
}

/**
 * A node's routes plus the standard ones, healthy while `ready()` (e.g. the lifecycle's
 * readiness): "" and each of the node's services are SERVING or NOT_SERVING, others unknown.
 */
export function withStandardGrpc(routes: Routes, ready: () => boolean, watch?: StandardGrpcOptions['watch']): Routes {
  const { files, services } = describeRoutes(routes)
  const standard = standardGrpcRoutes({ files, check: readinessCheck(services, ready), watch })
  return (router) => {
    routes(router)
    standard(router)
  }
}
