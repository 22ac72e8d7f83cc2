import { createRegistry } from '@bufbuild/protobuf'
import type { DescFile, DescMethod, DescService, Registry } from '@bufbuild/protobuf'
import { file_gatehouse_metadata_v1_metadata } from '../../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { file_gatehouse_metadata_v1_registry } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { file_gatehouse_processing_v1_processing } from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { file_gatehouse_storage_v1_storage } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { file_gatehouse_testing_v1_transcoding } from '../../../proto/gen/gatehouse/testing/v1/transcoding_pb.ts'
import { didYouMean } from '../bundle/suggest.ts'
import { hasHttpRule } from './http-rules.ts'

/**
 * The proto files a route may name as an `rpc` target. Static on purpose: the gateway runs the
 * same code on Node, Bun and Deno without reading descriptor sets at run time, and a bundle can
 * only reach methods whose messages we compiled (so every field is known to the transcoder).
 */
export const PROTO_FILES: readonly DescFile[] = [
  file_gatehouse_storage_v1_storage,
  file_gatehouse_processing_v1_processing,
  file_gatehouse_metadata_v1_metadata,
  file_gatehouse_metadata_v1_registry,
  file_gatehouse_testing_v1_transcoding,
]

/** Every message of those files and their imports: JSON for `Any` and error details. */
export const PROTO_REGISTRY: Registry = createRegistry(...withImports(PROTO_FILES))

const SERVICES: ReadonlyMap<string, DescService> = new Map(
  PROTO_FILES.flatMap((file) => file.services.map((s) => [s.typeName, s] as const)),
)

export type RpcTarget = { readonly methods: readonly DescMethod[] } | { readonly error: string }

/**
 * A route's `rpc` target: `pkg.Service` (every method with a google.api.http rule) or
 * `pkg.Service/Method` (that one method, which must have a rule). Errors name the nearest
 * valid name for a typo.
 */
export function resolveRpcTarget(name: string): RpcTarget {
  const slash = name.indexOf('/')
  const serviceName = slash < 0 ? name : name.slice(0, slash)
  const service = SERVICES.get(serviceName)
  if (!service) return { error: `unknown proto service "${serviceName}"${didYouMean(serviceName, SERVICES.keys())}` }
  if (slash < 0) {
    const methods = service.methods.filter(hasHttpRule)
    if (methods.length === 0) return { error: `proto service "${serviceName}" has no method with a google.api.http rule` }
    return { methods }
  }
  const methodName = name.slice(slash + 1)
  const method = service.methods.find((m) => m.name === methodName)
  if (!method) {
    const names = service.methods.map((m) => m.name)
    return { error: `proto service "${serviceName}" has no method "${methodName}"${didYouMean(methodName, names)}` }
  }
  if (!hasHttpRule(method)) return { error: `method "${serviceName}/${methodName}" has no google.api.http rule` }
  return { methods: [method] }
}

/** The files and, transitively, every file they import (createRegistry does not follow imports). */
function withImports(files: readonly DescFile[]): DescFile[] {
  const seen = new Map<string, DescFile>()
  const visit = (file: DescFile) => {
    if (seen.has(file.name)) return
    seen.set(file.name, file)
    file.dependencies.forEach(visit)
  }
  files.forEach(visit)
  return [...seen.values()]
}
