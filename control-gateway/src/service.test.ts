import { Code, ConnectError } from '@connectrpc/connect'
import { afterEach, describe, expect, it } from 'vitest'
import { BundleConflictSchema, BundleProblemsSchema, ChangeKind } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import { ALL_SCOPES, controlHarness, files, token } from './testing.ts'

const harnesses: ReturnType<typeof controlHarness>[] = []
const harness = () => {
  const h = controlHarness()
  harnesses.push(h)
  return h
}
afterEach(() => harnesses.splice(0).forEach((h) => h.close()))

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => ConnectError.from(err))

describe('ControlService', () => {
  it('applies versions with optimistic concurrency: a stale expected hash is STALE_EPOCH and changes nothing', async () => {
    const h = harness()
    const c = await h.client()
    const one = await c.applyBundle({ files: files('one'), expectedHash: '' })
    expect(one.version).toMatchObject({ version: 1n, author: 'alice' })
    const stale = await failure(c.applyBundle({ files: files('two'), expectedHash: '' }))
    expect(stale?.code).toBe(Code.Aborted)
    expect(stale?.findDetails(BundleConflictSchema)[0]).toMatchObject({ expectedHash: '', currentHash: one.version?.hash, currentVersion: 1n })
    expect((await c.getStatus({})).headHash).toBe(one.version?.hash)
    const two = await c.applyBundle({ files: files('two'), expectedHash: one.version?.hash ?? '' })
    expect(two.version?.version).toBe(2n)
    expect((await c.applyBundle({ files: files('two'), expectedHash: two.version?.hash ?? '' })).unchanged).toBe(true)
    expect((await c.listVersions({})).versions.map((v) => v.version)).toEqual([2n, 1n])
  })

  it('refuses an invalid bundle with every problem located, and bad input precisely', async () => {
    const c = await (harness()).client()
    const err = await failure(c.applyBundle({ files: files('one', '  - id: r\n    match: { path: /b }\n    http: nope\n'), expectedHash: '' }))
    expect(err?.code).toBe(Code.InvalidArgument)
    const problems = err?.findDetails(BundleProblemsSchema)[0]?.problems ?? []
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column}`)).toEqual(['policies/a.yaml:14:9', 'policies/a.yaml:16:11'])
    expect((await c.validateBundle({ files: files('one') })).valid).toBe(true)
    expect(await failure(c.validateBundle({ files: [] }))).toMatchObject({ code: Code.InvalidArgument })
    expect(await failure(c.applyBundle({ files: [...files('a'), ...files('a')] }))).toMatchObject({ code: Code.InvalidArgument })
    expect(await failure(c.rollbackBundle({ version: 9n }))).toMatchObject({ code: Code.NotFound })
    expect((await c.listVersions({})).versions).toEqual([])
  })

  it('diffs against the running bundle without phantom drift', async () => {
    const c = await (harness()).client()
    const first = await c.diffBundle({ files: files('one') })
    expect(first.changes.map((x) => [x.section, x.name, x.kind])).toEqual([
      ['service', 'up', ChangeKind.ADDED],
      ['policy', 'tag', ChangeKind.ADDED],
      ['route', 'r', ChangeKind.ADDED],
    ])
    await c.applyBundle({ files: files('one'), expectedHash: '' })
    // Reformatted, commented, a default spelled out: the same bundle.
    const same = files('one')[0]!.text.replace('      - url: http://127.0.0.1:9', '      # the only endpoint\n      - { url: "http://127.0.0.1:9" }\n    preserveHost: false')
    expect((await c.diffBundle({ files: [{ path: 'elsewhere.yml', text: same }] })).changes).toEqual([])
    const changed = await c.diffBundle({ files: files('two') })
    expect(changed.changes.map((x) => [x.name, x.kind, x.fields])).toEqual([['tag', ChangeKind.CHANGED, ['options.response.set']]])
  })

  it('runs a canary for one label, promotes it, and rolls back to an earlier version', async () => {
    const h = harness()
    const c = await h.client()
    const one = await c.applyBundle({ files: files('one'), expectedHash: '' })
    const canary = await c.applyBundle({ files: files('two'), expectedHash: one.version?.hash ?? '', canaryLabel: 'eu' })
    let status = await c.getStatus({})
    expect([status.stable?.version, status.canary?.version, status.headHash]).toEqual([1n, 2n, canary.version?.hash])
    h.nodes.report('gw-eu', 'eu', one.version?.hash ?? '', [])
    h.nodes.report('gw-us', '', one.version?.hash ?? '', [])
    status = await c.getStatus({})
    expect(status.nodes.map((n) => [n.nodeId, n.desiredHash === canary.version?.hash, n.converged])).toEqual([
      ['gw-eu', true, false],
      ['gw-us', false, true],
    ])
    const promoted = await c.applyBundle({ files: files('two'), expectedHash: canary.version?.hash ?? '' })
    expect(promoted.version?.version).toBe(2n)
    status = await c.getStatus({})
    expect([status.stable?.version, status.canary]).toEqual([2n, undefined])
    const back = await c.rollbackBundle({ version: 1n, reason: 'bad tag' })
    expect(back.version).toMatchObject({ version: 3n, hash: one.version?.hash, rollbackOf: 1n, reason: 'bad tag' })
    expect((await c.getVersion({ version: 3n })).version?.files).toEqual(files('one').map((f) => expect.objectContaining(f)))
    expect(h.audit.entries.filter((e) => e.result === 'ok').map((e) => e.action)).toEqual(['ApplyBundle', 'ApplyBundle', 'ApplyBundle', 'RollbackBundle'])
  })

  it('streams the bundle for a gateway\'s label at once and after each change that concerns it', async () => {
    const h = harness()
    const c = await h.client()
    const one = await c.applyBundle({ files: files('one'), expectedHash: '' })
    const abort = new AbortController()
    const stream = c.watchBundle({ nodeId: 'gw-1', label: 'eu' }, { signal: abort.signal })[Symbol.asyncIterator]()
    const next = async () => (await stream.next()).value
    expect((await next())?.event).toMatchObject({ case: 'bundle', value: { hash: one.version?.hash } })
    const two = await c.applyBundle({ files: files('two'), expectedHash: one.version?.hash ?? '', canaryLabel: 'eu' })
    expect((await next())?.event).toMatchObject({ case: 'bundle', value: { hash: two.version?.hash, version: 2n } })
    expect((await c.getStatus({})).nodes.map((n) => [n.nodeId, n.connected])).toEqual([['gw-1', true]])
    await c.drainNode({ nodeId: 'gw-1' })
    expect((await next())?.event).toMatchObject({ case: 'drain' })
    abort.abort()
    expect(await failure(c.drainNode({ nodeId: 'gw-unknown' }))).toMatchObject({ code: Code.NotFound })
  })
})

describe('REST from the google.api.http rules', () => {
  it('maps paths, query and body onto the methods, behind the same guard', async () => {
    const h = harness()
    const bearer = { authorization: `Bearer ${await token(ALL_SCOPES)}` }
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = bearer) =>
      h.app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const applied = await call('POST', '/v1/bundle:apply', { files: files('one'), expectedHash: '', reason: 'rest' })
    expect(applied.status).toBe(200)
    expect(await applied.json()).toMatchObject({ version: { version: '1', reason: 'rest', author: 'alice' } })
    expect(await (await call('GET', '/v1/status')).json()).toMatchObject({ stable: { version: '1' } })
    expect(await (await call('GET', '/v1/versions/1')).json()).toMatchObject({ version: { files: [{ path: 'policies/a.yaml' }] } })
    expect(await (await call('GET', '/v1/versions?pageSize=1')).json()).toMatchObject({ versions: [{ version: '1' }] })
    expect((await (await call('POST', '/v1/versions/1:rollback', {})).json()).version).toMatchObject({ version: '2', rollbackOf: '1' })
    expect((await call('GET', '/v1/versions/99')).status).toBe(404)
    expect((await call('POST', '/v1/bundle:validate', '{nope')).status).toBe(400)
    expect((await call('GET', '/v1/status', undefined, {})).status).toBe(401)
    expect(h.audit.entries.filter((e) => e.result === 'ok').map((e) => e.action)).toEqual(['ApplyBundle', 'RollbackBundle'])
  })
})

describe('the guard', () => {
  it('refuses without a valid token (401) or scope (403), audits both, and rate limits per caller', async () => {
    const h = controlHarness({ callsPerSecond: 3 })
    harnesses.push(h)
    expect(await failure((await h.client(null)).getStatus({}))).toMatchObject({ code: Code.Unauthenticated })
    expect(await failure((await h.client('bundle:read', 'bob')).applyBundle({ files: files('x') }))).toMatchObject({
      code: Code.PermissionDenied,
      rawMessage: 'ApplyBundle needs scope "bundle:write"',
    })
    expect(h.audit.entries.map((e) => [e.action, e.subject, e.result])).toEqual([
      ['GetStatus', '', 'UNAUTHENTICATED'],
      ['ApplyBundle', 'bob', 'PERMISSION_DENIED'],
    ])
    const reader = await h.client('bundle:read', 'carol')
    const results = await Promise.all([1, 2, 3, 4].map(() => failure(reader.getStatus({}))))
    expect(results.filter((r) => r?.code === Code.ResourceExhausted)).toHaveLength(1)
  })

  it('accepts a verified client certificate by SAN URI or CN, with the scopes configured for it', async () => {
    const h = controlHarness({
      certificates: new Map([
        ['spiffe://example.org/ns/ops/sa/deployer', new Set(['bundle:read', 'bundle:write'])],
        ['CN=auditor', new Set(['debug:read'])],
      ]),
    })
    harnesses.push(h)
    const status = (certificate: Record<string, unknown>) =>
      h.app.request('/v1/status', {}, { remoteAddress: '10.0.0.9', clientCertificate: { authorized: true, uris: [], ...certificate } })
    expect((await status({ uris: ['spiffe://example.org/ns/ops/sa/deployer'], subjectCN: 'x' })).status).toBe(200)
    expect((await status({ subjectCN: 'auditor' })).status).toBe(403)
    expect((await status({ subjectCN: 'stranger' })).status).toBe(401)
    expect((await status({ authorized: false, authorizationError: 'CERT_HAS_EXPIRED', subjectCN: 'auditor' })).status).toBe(401)
    expect(h.audit.entries.map((e) => [e.subject, e.result, e.remoteAddress, e.message])).toEqual([
      ['CN=auditor', 'PERMISSION_DENIED', '10.0.0.9', 'GetStatus needs scope "bundle:read"'],
      ['', 'UNAUTHENTICATED', '10.0.0.9', 'client certificate CN=stranger is not a known operator'],
      ['', 'UNAUTHENTICATED', '10.0.0.9', 'client certificate not verified (CERT_HAS_EXPIRED)'],
    ])
  })
})
