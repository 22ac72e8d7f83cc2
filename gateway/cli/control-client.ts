/** The control gateway client of the CLI: flags, connection (HTTP/HTTPS), refusals as messages and exit codes. */
import { readFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { toJson } from '@bufbuild/protobuf'
import type { DescMessage, MessageShape } from '@bufbuild/protobuf'
import { timestampDate } from '@bufbuild/protobuf/wkt'
import type { Timestamp } from '@bufbuild/protobuf/wkt'
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import type { Client } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'
import { BundleConflictSchema, BundleProblemsSchema, ControlService } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import { BundleError } from '../src/bundle/load.ts'
import { formatProblem } from '../src/bundle/format.ts'

/** Exit codes CI can gate on (see control-gateway/README.md). */
export const EXIT = { ok: 0, failed: 1, changes: 2, stale: 3, usage: 64 } as const

export interface ControlCall {
  readonly positional: readonly string[]
  readonly flags: ReadonlyMap<string, string>
  readonly json: boolean
  readonly client: Client<typeof ControlService>
  readonly headers: Record<string, string>
}

export class Usage extends Error {}

/** `[positional...] [--flag value]... [--json]`; common flags: --control URL, --token T. */
export function parse(args: readonly string[], allowed: readonly string[], maxPositional: number): ControlCall {
  const positional: string[] = []
  const flags = new Map<string, string>()
  let json = false
  const known = ['control', 'token', 'ca', 'cert', 'key', ...allowed]
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--json') json = true
    else if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined]
      if (!known.includes(name)) throw new Usage(`unknown flag --${name} (flags: ${known.map((f) => `--${f}`).join(', ')}, --json)`)
      const value = inline ?? args[++i]
      if (value === undefined) throw new Usage(`--${name} needs a value`)
      flags.set(name, value)
    } else positional.push(arg)
  }
  if (positional.length > maxPositional) throw new Usage(`unexpected argument "${positional[maxPositional]}"`)
  const baseUrl = flags.get('control') ?? process.env.GATEHOUSE_CONTROL_URL ?? 'http://127.0.0.1:9090'
  if (!URL.canParse(baseUrl)) throw new Usage(`--control must be a URL, got "${baseUrl}"`)
  const token = flags.get('token') ?? process.env.GATEHOUSE_CONTROL_TOKEN
  return {
    positional,
    flags,
    json,
    client: createClient(ControlService, createConnectTransport({ baseUrl, httpVersion: '1.1', nodeOptions: { agent: agentFor(baseUrl, flags) } })),
    headers: token ? { authorization: `Bearer ${token}` } : {},
  }
}

/**
 * No keep-alive: an idle pooled socket would hold the process open after the command is done.
 * HTTPS: `--ca FILE` (GATEHOUSE_CONTROL_CA) to trust the control gateway's certificate, and
 * `--cert FILE --key FILE` (GATEHOUSE_CONTROL_CERT / _KEY) to present a client certificate.
 */
function agentFor(baseUrl: string, flags: ReadonlyMap<string, string>): Agent {
  if (new URL(baseUrl).protocol !== 'https:') return new Agent({ keepAlive: false })
  const pem = (flag: string, env: string) => {
    const path = flags.get(flag) ?? process.env[env]
    if (path === undefined) return undefined
    try {
      return readFileSync(path, 'utf8')
    } catch (err) {
      throw new Usage(`--${flag} ${path}: cannot read (${(err as { code?: string }).code ?? String(err)})`)
    }
  }
  const [ca, cert, key] = [pem('ca', 'GATEHOUSE_CONTROL_CA'), pem('cert', 'GATEHOUSE_CONTROL_CERT'), pem('key', 'GATEHOUSE_CONTROL_KEY')]
  if ((cert === undefined) !== (key === undefined)) throw new Usage('--cert and --key go together')
  return new HttpsAgent({ keepAlive: false, ca, cert, key })
}

export const short = (hash: string) => (hash === '' ? '(none)' : hash.slice(0, 12))
export const when = (t: Timestamp | undefined) => (t ? timestampDate(t).toISOString().replace(/\.\d+Z$/, 'Z') : '-')
export const printJson = <D extends DescMessage>(schema: D, message: MessageShape<D>) => console.log(JSON.stringify(toJson(schema, message), null, 2))

/** Runs a command body; turns the control gateway's refusals into messages and exit codes. */
export async function run(name: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body()
  } catch (err) {
    if (err instanceof Usage) {
      console.error(`gatehouse ${name}: ${err.message}`)
      return EXIT.usage
    }
    if (err instanceof BundleError) {
      for (const problem of err.problems) console.error(formatProblem(problem))
      console.error(`${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}, bundle refused`)
      return EXIT.failed
    }
    const error = ConnectError.from(err)
    const problems = error.findDetails(BundleProblemsSchema).flatMap((d) => d.problems)
    if (problems.length > 0) {
      for (const p of problems) console.error(`${p.file}:${p.line}:${p.column}: ${p.message}${p.path ? ` (at ${p.path})` : ''}`)
      console.error(`${problems.length} problem${problems.length === 1 ? '' : 's'}, bundle refused by the control gateway`)
      return EXIT.failed
    }
    const conflict = error.findDetails(BundleConflictSchema)[0]
    if (conflict) {
      console.error(`gatehouse ${name}: STALE_EPOCH: expected ${short(conflict.expectedHash)} but version ${conflict.currentVersion} (${short(conflict.currentHash)}) is current; diff again, then apply`)
      return EXIT.stale
    }
    console.error(`gatehouse ${name}: ${Code[error.code] ?? error.code}: ${error.rawMessage || 'failed'}`)
    return EXIT.failed
  }
}
