import { ChangeKind } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import {
  ApplyBundleResponseSchema,
  DiffBundleResponseSchema,
  GetStatusResponseSchema,
  ListAuditRecordsResponseSchema,
  ListVersionsResponseSchema,
  RollbackBundleResponseSchema,
} from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import type { DiffBundleResponse, Version } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import { startControlGateway } from '../../control-gateway/runtime/start.ts'
import { readBundleDir } from '../runtime/bundle-files.ts'
import { exitOnStartupError } from '../runtime/exit-on-startup-error.ts'
import type { Command } from './command.ts'
import { EXIT, parse, printJson, run, short, Usage, when } from './control-client.ts'

const SIGN = { [ChangeKind.ADDED]: '+', [ChangeKind.REMOVED]: '-', [ChangeKind.CHANGED]: '~', [ChangeKind.UNSPECIFIED]: '?' }

function printDiff(diff: DiffBundleResponse, dir: string): void {
  const against = diff.currentVersion > 0n ? `version ${diff.currentVersion} (${short(diff.currentHash)})` : 'nothing applied yet'
  console.log(`${dir} against ${against}:`)
  for (const c of diff.changes) console.log(`  ${SIGN[c.kind]} ${c.section} ${c.name}${c.fields.length > 0 ? `: ${c.fields.join(', ')}` : ''}`)
  const n = diff.changes.length
  console.log(n === 0 ? `no changes (hash ${short(diff.newHash)})` : `${n} change${n === 1 ? '' : 's'} (new hash ${short(diff.newHash)})`)
}

const describeVersion = (v: Version | undefined) =>
  v ? `version ${v.version} (${short(v.hash)})${v.canaryLabel ? ` canary=${v.canaryLabel}` : ''}${v.rollbackOf > 0n ? ` rollback of ${v.rollbackOf}` : ''}` : '(none)'

export const diff: Command = {
  name: 'diff',
  usage: '[DIR] [--control URL] [--canary LABEL] [--json]',
  summary: 'compare a bundle (default policies/) with the running one; exit 0 no changes, 2 changes, 1 invalid',
  run: (args) =>
    run('diff', async () => {
      const call = parse(args, ['canary'], 1)
      const dir = call.positional[0] ?? 'policies'
      const files = await readBundleDir(dir)
      const result = await call.client.diffBundle({ files, canaryLabel: call.flags.get('canary') ?? '' }, { headers: call.headers })
      if (call.json) printJson(DiffBundleResponseSchema, result)
      else printDiff(result, dir)
      return result.changes.length > 0 ? EXIT.changes : EXIT.ok
    }),
}

export const apply: Command = {
  name: 'apply',
  usage: '[DIR] [--control URL] [--canary LABEL] [--expect HASH] [--reason TEXT] [--wait SECONDS] [--json]',
  summary: 'apply a bundle to every gateway (or the canary label\'s); exit 3 on STALE_EPOCH',
  run: (args) =>
    run('apply', async () => {
      const call = parse(args, ['canary', 'expect', 'reason', 'wait'], 1)
      const wait = Number(call.flags.get('wait') ?? '0')
      if (!Number.isFinite(wait) || wait < 0 || wait > 3600) throw new Usage('--wait must be a number of seconds from 0 to 3600')
      const dir = call.positional[0] ?? 'policies'
      const files = await readBundleDir(dir)
      // Without --expect, expect what runs now: a change made since then still fails with STALE_EPOCH.
      const expectedHash = call.flags.get('expect') ?? (await call.client.getStatus({}, { headers: call.headers })).headHash
      const result = await call.client.applyBundle(
        { files, expectedHash, canaryLabel: call.flags.get('canary') ?? '', reason: call.flags.get('reason') ?? '' },
        { headers: call.headers },
      )
      if (call.json) printJson(ApplyBundleResponseSchema, result)
      else if (result.unchanged) console.log(`unchanged: ${describeVersion(result.version)} already runs there`)
      else console.log(`applied ${describeVersion(result.version)}${result.version?.canaryLabel ? '' : ' to every gateway'}; see gatehouse status`)
      if (wait === 0) return EXIT.ok
      // --wait: until every connected gateway runs what it should (exit 0), or the time is up (exit 2).
      const deadline = Date.now() + wait * 1000
      for (;;) {
        const now = await call.client.getStatus({}, { headers: call.headers })
        if (now.converged) {
          if (!call.json) console.log(`converged: ${now.nodes.filter((n) => n.connected).length} gateways run it`)
          return EXIT.ok
        }
        if (Date.now() >= deadline) {
          if (!call.json) console.error(`not converged after ${wait} s: ${now.nodes.filter((n) => !n.converged).map((n) => n.nodeId).join(', ')}`)
          return EXIT.changes
        }
        await new Promise((r) => setTimeout(r, 250))
      }
    }),
}

export const rollback: Command = {
  name: 'rollback',
  usage: 'VERSION [--control URL] [--expect HASH] [--reason TEXT] [--json]',
  summary: 'apply an earlier version again, to every gateway (ends a canary)',
  run: (args) =>
    run('rollback', async () => {
      const call = parse(args, ['expect', 'reason'], 1)
      const text = call.positional[0]
      if (text === undefined || !/^[1-9]\d{0,15}$/.test(text)) throw new Usage('VERSION (a positive integer) is required')
      const result = await call.client.rollbackBundle(
        { version: BigInt(text), expectedHash: call.flags.get('expect') ?? '', reason: call.flags.get('reason') ?? '' },
        { headers: call.headers },
      )
      if (call.json) printJson(RollbackBundleResponseSchema, result)
      else console.log(`rolled back: ${describeVersion(result.version)} now runs on every gateway`)
      return EXIT.ok
    }),
}

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)))
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n')
}

export const status: Command = {
  name: 'status',
  usage: '[--control URL] [--json]',
  summary: 'the stable and canary bundles and every gateway with the hash it runs; exit 2 while not converged',
  run: (args) =>
    run('status', async () => {
      const call = parse(args, [], 0)
      const result = await call.client.getStatus({}, { headers: call.headers })
      if (call.json) printJson(GetStatusResponseSchema, result)
      else {
        console.log(`stable  ${describeVersion(result.stable)}`)
        if (result.canary) console.log(`canary  ${describeVersion(result.canary)}`)
        const rows = result.nodes.map((n) => [
          n.nodeId,
          n.label || '-',
          short(n.runningHash),
          short(n.desiredHash),
          n.converged ? 'yes' : 'NO',
          n.connected ? 'connected' : `gone since ${when(n.lastSeen)}`,
          n.problems[0] ?? '',
        ])
        console.log('')
        console.log(table([['NODE', 'LABEL', 'RUNNING', 'DESIRED', 'CONVERGED', 'STREAM', 'PROBLEM'], ...rows]))
        console.log(`\n${result.nodes.length} gateway${result.nodes.length === 1 ? '' : 's'}, ${result.converged ? 'converged' : 'NOT converged'}`)
      }
      return result.converged ? EXIT.ok : EXIT.changes
    }),
}

export const history: Command = {
  name: 'history',
  usage: '[--control URL] [--limit N] [--json]',
  summary: 'the applied versions, newest first',
  run: (args) =>
    run('history', async () => {
      const call = parse(args, ['limit'], 0)
      const pageSize = Number(call.flags.get('limit') ?? '20')
      if (!Number.isInteger(pageSize) || pageSize < 1) throw new Usage('--limit must be a positive integer')
      const [result, current] = await Promise.all([
        call.client.listVersions({ pageSize }, { headers: call.headers }),
        call.client.getStatus({}, { headers: call.headers }),
      ])
      if (call.json) printJson(ListVersionsResponseSchema, result)
      else {
        const mark = (v: Version) => (v.version === current.stable?.version ? 'stable' : v.version === current.canary?.version ? 'canary' : '')
        const rows = result.versions.map((v) => [
          String(v.version),
          short(v.hash),
          when(v.createTime),
          v.author,
          v.canaryLabel ? `canary=${v.canaryLabel}` : 'all',
          v.rollbackOf > 0n ? `rollback of ${v.rollbackOf}` : v.reason,
          mark(v),
        ])
        console.log(table([['VERSION', 'HASH', 'APPLIED', 'BY', 'TO', 'REASON', ''], ...rows]))
      }
      return EXIT.ok
    }),
}

export const audit: Command = {
  name: 'audit',
  usage: '[--control URL] [--limit N] [--json]',
  summary: 'the control gateway\'s audit log, newest first (scope debug:read)',
  run: (args) =>
    run('audit', async () => {
      const call = parse(args, ['limit'], 0)
      const pageSize = Number(call.flags.get('limit') ?? '50')
      if (!Number.isInteger(pageSize) || pageSize < 1) throw new Usage('--limit must be a positive integer')
      const result = await call.client.listAuditRecords({ pageSize }, { headers: call.headers })
      if (call.json) printJson(ListAuditRecordsResponseSchema, result)
      else {
        const rows = result.records.map((r) => [when(r.time), r.subject || '-', r.remoteAddress, r.action, r.target || '-', r.result, `${short(r.oldHash)} -> ${short(r.newHash)}`, r.message])
        console.log(table([['TIME', 'WHO', 'FROM', 'ACTION', 'TARGET', 'RESULT', 'HASH', 'MESSAGE'], ...rows]))
      }
      return EXIT.ok
    }),
}

export const control: Command = {
  name: 'control',
  usage:
    '[--port N] [--host H] [--metadata URL] [--data DIR] [--jwt-secret S] [--jwks FILE] [--issuer I] [--audience A] [--rate-limit N]' +
    ' [--tls-cert FILE --tls-key FILE [--client-ca FILE --cert-scopes MAP [--client-cert optional|required]]]',
  summary: 'run the control gateway (127.0.0.1:9090; bundle history in the metadata service)',
  async run(args) {
    await startControlGateway(args).catch(exitOnStartupError)
    return new Promise<number>(() => {})
  },
}
