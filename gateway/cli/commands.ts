import { check, routes, schema } from './bundle-commands.ts'
import type { Command } from './command.ts'
import { apply, audit, control, diff, history, rollback, status } from './control-commands.ts'
import { gateway, node, start } from './run-commands.ts'

export const commands: ReadonlyMap<string, Command> = new Map([start, gateway, node, check, routes, schema, control, diff, apply, status, history, rollback, audit].map((c) => [c.name, c]))

export function usage(): string {
  const lines = [...commands.values()].map((c) => `  gatehouse ${c.name} ${c.usage}\n      ${c.summary}`)
  return `Gatehouse: an edge API gateway for gRPC/Connect backends, configured from policy files.\n\nUsage:\n${lines.join('\n')}\n`
}
