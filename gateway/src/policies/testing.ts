/** Helpers for the policy tests (imported only by *.test.ts). */
import { createLogger } from '../../../internal/shell/access-log.ts'
import { createRegistry } from '../../../internal/shell/metrics.ts'
import { policyFileReader } from './runtime/read-policy-file.ts'
import type { PolicyInit } from './types.ts'
import type { GatewayMiddleware } from '../env.ts'
import { applyResponseFields } from '../../../internal/shell/response-fields.ts'

/** A `PolicyInit` with its own metrics registry; log lines are collected in `lines` (parsed JSON). */
export function testInit(name: string): PolicyInit & { readonly lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const log = createLogger((line) => {
    for (const l of line.split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>)
  }, 'gateway')
  const source = 'policies/test.yaml'
  return { name, source, metrics: createRegistry(), log, lines, readFile: policyFileReader(name, source) }
}

/**
 * The part of the CN shell policy tests need around a policy that queues response fields
 * (`queuedResponseFields`): an empty queue before, the queue put on whatever response came back after.
 */
export const shellFields: GatewayMiddleware = async (c, next) => {
  c.set('responseFields', {})
  await next()
  applyResponseFields(c)
}
