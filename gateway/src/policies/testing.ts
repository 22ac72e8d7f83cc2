/** Helpers for the policy tests (imported only by *.test.ts). */
import { createLogger } from '../../../internal/shell/access-log.ts'
import { createRegistry } from '../../../internal/shell/metrics.ts'
import type { PolicyInit } from './types.ts'

/** A `PolicyInit` with its own metrics registry; log lines are collected in `lines` (parsed JSON). */
export function testInit(name: string): PolicyInit & { readonly lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const log = createLogger((line) => {
    for (const l of line.split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>)
  }, 'gateway')
  return { name, source: 'policies/test.yaml', metrics: createRegistry(), log, lines }
}
