import { Code, ConnectError } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { MetadataService } from '../../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { RegistryService } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { StorageService } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { backoffMs, createRetryBudget, isRetrySafe, isRetryable, markNotSent, provedNotSent, resolveRetryOptions } from './retry.ts'
import { manualClock } from './testing.ts'

const options = resolveRetryOptions()

describe('retry policy', () => {
  it('treats NO_SIDE_EFFECTS and IDEMPOTENT methods as retry-safe, and nothing else', () => {
    expect(isRetrySafe(RegistryService.method.listNodes)).toBe(true) // NO_SIDE_EFFECTS
    expect(isRetrySafe(RegistryService.method.registerNode)).toBe(true) // IDEMPOTENT
    expect(isRetrySafe(StorageService.method.getObject)).toBe(true) // a server stream, NO_SIDE_EFFECTS
    expect(isRetrySafe(MetadataService.method.putRecord)).toBe(false)
    expect(isRetrySafe(StorageService.method.putObject)).toBe(false) // client stream
  })

  it('retries UNAVAILABLE (and chosen codes) for retry-safe methods, or when nothing was sent', () => {
    const unavailable = new ConnectError('down', Code.Unavailable)
    expect(isRetryable(RegistryService.method.listNodes, unavailable, options)).toBe(true)
    expect(isRetryable(MetadataService.method.putRecord, unavailable, options)).toBe(false)
    expect(isRetryable(MetadataService.method.putRecord, markNotSent(new ConnectError('refused', Code.Unavailable)), options)).toBe(true)
    const aborted = new ConnectError('conflict', Code.Aborted)
    expect(isRetryable(RegistryService.method.listNodes, aborted, options)).toBe(false)
    expect(isRetryable(RegistryService.method.listNodes, aborted, resolveRetryOptions({ retryableCodes: [Code.Aborted] }))).toBe(true)
  })

  it('recognises a refused connection or failed DNS lookup anywhere in the cause chain', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:80'), { code: 'ECONNREFUSED' })
    expect(provedNotSent(new ConnectError('fetch failed', Code.Unknown, undefined, undefined, new TypeError('fetch failed', { cause: refused })))).toBe(true)
    expect(provedNotSent(Object.assign(new Error('Unable to connect'), { code: 'ConnectionRefused' }))).toBe(true) // Bun
    expect(provedNotSent(new TypeError('tcp connect error: Connection refused (os error 111)'))).toBe(true) // Deno
    expect(provedNotSent(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(false) // may have been sent
  })

  it('backs off with full jitter, exponentially, up to the cap', () => {
    const o = resolveRetryOptions({ baseBackoffMs: 100, maxBackoffMs: 1_000 })
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, o, () => 0.999_999))).toEqual([99, 199, 399, 799, 999])
    expect(backoffMs(3, o, () => 0)).toBe(0)
    expect(backoffMs(2, o, () => 0.5)).toBe(100)
  })

  it('budgets retries to minRetries + ratio × calls over the window', () => {
    const clock = manualClock()
    const budget = createRetryBudget(resolveRetryOptions({ budgetMinRetries: 2, budgetRatio: 0.1, budgetWindowMs: 1_000 }), clock.now)
    for (let i = 0; i < 10; i++) budget.request()
    const granted = () => Array.from({ length: 10 }, () => budget.tryRetry()).filter(Boolean).length
    expect(granted()).toBe(3) // 2 + 10 % of 10
    for (let i = 0; i < 20; i++) budget.request()
    expect(granted()).toBe(2) // 2 + 10 % of 30 = 5, 3 taken
    clock.advance(1_000) // the window moved on
    expect(granted()).toBe(2)
  })

  it('rejects options out of range at construction', () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow('retry.maxAttempts must be an integer >= 1')
    expect(() => resolveRetryOptions({ baseBackoffMs: 100, maxBackoffMs: 10 })).toThrow(TypeError)
  })
})
