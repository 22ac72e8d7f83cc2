import { describe, expect, it } from 'vitest'
import { PROTO_REGISTRY, resolveRpcTarget } from './registry.ts'

const names = (target: string) => {
  const r = resolveRpcTarget(target)
  return 'error' in r ? r : r.methods.map((m) => m.name)
}

describe('resolveRpcTarget', () => {
  it('resolves a whole service to its annotated methods, for every role', () => {
    expect(names('gatehouse.storage.v1.StorageService')).toContain('GetObject')
    expect(names('gatehouse.processing.v1.ProcessingService')).toContain('WatchTask')
    expect(names('gatehouse.metadata.v1.MetadataService')).toContain('PutRecord')
    expect(names('gatehouse.metadata.v1.RegistryService')).toContain('Heartbeat')
    const testing = names('gatehouse.testing.v1.TranscodingService') as string[]
    expect(testing).toContain('GetThing')
    expect(testing).not.toContain('Unmapped') // no rule: not part of the service's REST surface
  })

  it('resolves one method', () => {
    expect(names('gatehouse.storage.v1.StorageService/PutObject')).toEqual(['PutObject'])
  })

  it('suggests the nearest service or method for a typo', () => {
    expect(names('gatehouse.storage.v1.StorageServce')).toEqual({
      error: 'unknown proto service "gatehouse.storage.v1.StorageServce" (did you mean "gatehouse.storage.v1.StorageService"?)',
    })
    expect(names('gatehouse.storage.v1.StorageService/GetObjet')).toEqual({
      error: 'proto service "gatehouse.storage.v1.StorageService" has no method "GetObjet" (did you mean "GetObject"?)',
    })
    expect(names('nothing.like.It')).toEqual({ error: 'unknown proto service "nothing.like.It"' })
  })

  it('refuses a single method without a google.api.http rule', () => {
    expect(names('gatehouse.testing.v1.TranscodingService/Unmapped')).toEqual({
      error: 'method "gatehouse.testing.v1.TranscodingService/Unmapped" has no google.api.http rule',
    })
  })

  it('knows every message of the compiled files and their imports (for Any and error details)', () => {
    expect(PROTO_REGISTRY.getMessage('gatehouse.metadata.v1.NotLeader')).toBeDefined()
    expect(PROTO_REGISTRY.getMessage('google.api.HttpBody')).toBeDefined()
    expect(PROTO_REGISTRY.getMessage('google.protobuf.Timestamp')).toBeDefined()
  })
})
