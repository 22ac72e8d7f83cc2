import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { auditEntry } from '../src/audit.ts'
import { openAuditFile } from './audit-file.ts'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})
const tempFile = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-'))
  dirs.push(dir)
  return join(dir, 'nested', 'audit.log')
}
const site = { subject: 'alice', remoteAddress: '127.0.0.1', requestId: 'r1' }

describe('openAuditFile', () => {
  it('appends one JSON line per record, reads them newest first, and keeps them across a reopen', async () => {
    const path = await tempFile()
    const log = await openAuditFile(path)
    await Promise.all(['ApplyBundle', 'RollbackBundle', 'DrainNode'].map((action) => log.append(auditEntry(site, { action, result: 'ok' }))))
    await log.close()
    expect((await readFile(path, 'utf8')).trimEnd().split('\n')).toHaveLength(3)
    const reopened = await openAuditFile(path)
    await reopened.append(auditEntry(site, { action: 'ApplyBundle', result: 'STALE_EPOCH' }))
    expect((await reopened.recent(2)).map((e) => [e.action, e.result])).toEqual([
      ['ApplyBundle', 'STALE_EPOCH'],
      ['DrainNode', 'ok'],
    ])
    await reopened.close()
  })

  it('cuts off a torn last line (a crash mid-write was never acknowledged)', async () => {
    const path = await tempFile()
    const log = await openAuditFile(path)
    await log.append(auditEntry(site, { action: 'ApplyBundle', result: 'ok' }))
    await log.close()
    await appendFile(path, '{"time":"2026-11-21T00:00:00Z","subj')
    const reopened = await openAuditFile(path)
    await reopened.append(auditEntry(site, { action: 'RollbackBundle', result: 'ok' }))
    expect((await reopened.recent(10)).map((e) => e.action)).toEqual(['RollbackBundle', 'ApplyBundle'])
    await reopened.close()
  })
})
