// The control gateway end to end: a metadata node, a control gateway and two edge gateways as
// real processes; bundles applied, refused, raced, rolled back and pushed while traffic runs.
import { spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import type { Client } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BundleConflictSchema, BundleProblemsSchema, ControlService } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { removeDir, ROOT, spawnNode, startGateway, startOrigin, waitFor, writeBundle } from './harness.ts'
import type { GatewayProcess, NodeProcess } from './harness.ts'
import { makeTestPki } from '../support/certs.ts'
import type { IssuedCert, TestPki } from '../support/certs.ts'

const CLI = join(ROOT, 'gateway', 'cli', 'gatehouse.js')
const SECRET = 'e2e-control-secret-0123456789abcdef'

const token = (scope: string, subject = 'alice') =>
  new SignJWT({ scope }).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET))

/** One bundle file whose responses say which bundle served them (`x-bundle`). */
const bundle = (originUrl: string, tag: string, extraRoute = '') => [
  {
    path: 'policies/bundle.yaml',
    text: `services:
  origin:
    endpoints:
      - url: ${originUrl}
policies:
  tag:
    type: headers
    response: { set: { x-bundle: ${tag} } }
routes:
  - id: items
    match: { method: GET, path: "/v1/items/{id}" }
    policies: [tag]
    http: origin
${extraRoute}`,
  },
]

const BROKEN = [{ path: 'policies/broken.yaml', text: 'routes:\n  - id: x\n    match: { path: /a }\n    http: nowhere\n' }]

describe('control gateway: validate, diff, apply, roll back, converge, audit', () => {
  let dataDir: string
  let origin: Awaited<ReturnType<typeof startOrigin>>
  let metadata: NodeProcess
  let control: NodeProcess
  let gateways: GatewayProcess[] = []
  let admin: Client<typeof ControlService>
  let adminHeaders: Record<string, string>
  let anonymous: Client<typeof ControlService>
  const changes: string[] = [] // hashes of the changes made, in order

  // The same port across a restart: gateways resubscribe to the address they were given. The
  // waits below poll GetStatus every 50 ms, past the default 20 calls/s (rate limiting: unit tests).
  const startControl = (port = 0) =>
    spawnNode('control gateway', [process.execPath, CLI, 'control', '--port', String(port), '--metadata', metadata.url, '--data', join(dataDir, 'control'), '--jwt-secret', SECRET, '--rate-limit', '1000'])
  const clientFor = (url: string) => createClient(ControlService, createConnectTransport({ baseUrl: url, httpVersion: '1.1' }))
  const served = async (gw: GatewayProcess) => (await fetch(`${gw.url}/v1/items/1`)).headers.get('x-bundle')
  const status = () => admin.getStatus({}, { headers: adminHeaders })
  const apply = async (files: ReturnType<typeof bundle>, canaryLabel = '') =>
    admin.applyBundle({ files, expectedHash: (await status()).headHash, canaryLabel }, { headers: adminHeaders })

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-control-'))
    origin = await startOrigin()
    metadata = await spawnNode('metadata node', [process.execPath, CLI, 'node', '--role', 'metadata', '--port', '0', '--data', join(dataDir, 'metadata')])
    control = await startControl()
    adminHeaders = { authorization: `Bearer ${await token('bundle:read bundle:write debug:read node:drain')}` }
    admin = clientFor(control.url)
    anonymous = clientFor(control.url)
    const first = await apply(bundle(origin.url, 'one'))
    changes.push(first.version?.hash ?? '')
    // Gateways read their token and id from the environment, copied at spawn.
    process.env.GATEHOUSE_CONTROL_TOKEN = await token('bundle:read', 'gateway')
    const spawnGateway = async (runtime: 'node' | 'bun', id: string, label: string) => {
      process.env.GATEHOUSE_NODE_ID = id
      return startGateway(runtime, join(ROOT, 'policies'), ['--control', control.url, ...(label ? ['--label', label] : [])])
    }
    // Two runtimes: the subscription is Web APIs only (connect-web over fetch).
    gateways = [await spawnGateway('node', 'gw-a', 'canary'), await spawnGateway('bun', 'gw-b', '')]
    delete process.env.GATEHOUSE_CONTROL_TOKEN
    delete process.env.GATEHOUSE_NODE_ID
  })
  afterAll(async () => {
    await Promise.all(gateways.map((gw) => gw.stop()))
    await control?.stop()
    await metadata?.stop()
    await origin?.drain(1000)
    if (dataDir) await removeDir(dataDir)
  })

  it('gateways subscribe, run the applied bundle and report it', async () => {
    for (const gw of gateways) expect(await served(gw)).toBe('one')
    const nodes = await waitFor('both gateways to report', async () => {
      const s = await status()
      return s.nodes.length === 2 && s.converged && s.nodes
    })
    expect(nodes.map((n) => [n.nodeId, n.label, n.runningHash])).toEqual([
      ['gw-a', 'canary', changes[0]],
      ['gw-b', '', changes[0]],
    ])
  })

  it('pushes an apply to both gateways within a second while requests flow, with zero failures', async () => {
    let stop = false
    const failures: string[] = []
    const loop = async (gw: GatewayProcess) => {
      let n = 0
      while (!stop) {
        const res = await fetch(`${gw.url}/v1/items/1`).catch((err: unknown) => ({ status: String(err), arrayBuffer: async () => 0 }))
        await res.arrayBuffer()
        if (res.status !== 200) failures.push(`${gw.url}: ${res.status}`)
        n++
      }
      return n
    }
    const loops = gateways.map(loop)
    await new Promise((r) => setTimeout(r, 200))
    const diff = await admin.diffBundle({ files: bundle(origin.url, 'two') }, { headers: adminHeaders })
    expect(diff.changes.map((c) => [c.section, c.name, c.fields])).toEqual([['policy', 'tag', ['options.response.set']]])
    const started = Date.now()
    const applied = await admin.applyBundle({ files: bundle(origin.url, 'two'), expectedHash: diff.currentHash }, { headers: adminHeaders })
    changes.push(applied.version?.hash ?? '')
    await waitFor('both gateways to serve bundle two', async () => (await Promise.all(gateways.map(served))).every((t) => t === 'two'), 5_000)
    const elapsed = Date.now() - started
    await new Promise((r) => setTimeout(r, 200))
    stop = true
    const counts = await Promise.all(loops)
    expect(failures).toEqual([])
    expect(Math.min(...counts)).toBeGreaterThan(10)
    console.log(`apply sent -> both gateways serving it: ${elapsed} ms`)
    expect(elapsed).toBeLessThan(1_000)
    await waitFor('convergence on bundle two', async () => {
      const s = await status()
      return s.converged && s.nodes.every((n) => n.runningHash === changes[1])
    })
  })

  it('refuses a broken bundle with file:line errors and changes nothing anywhere', async () => {
    const before = await status()
    const err = await admin.applyBundle({ files: BROKEN, expectedHash: before.headHash }, { headers: adminHeaders }).catch((e: unknown) => ConnectError.from(e))
    expect(err).toBeInstanceOf(ConnectError)
    expect((err as ConnectError).code).toBe(Code.InvalidArgument)
    const problems = (err as ConnectError).findDetails(BundleProblemsSchema).flatMap((d) => d.problems)
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`)).toContainEqual(expect.stringMatching(/^policies\/broken\.yaml:4:11: unknown service "nowhere"/))
    const validated = await admin.validateBundle({ files: BROKEN }, { headers: adminHeaders })
    expect(validated.valid).toBe(false)
    const after = await status()
    expect(after.headHash).toBe(before.headHash)
    expect((await admin.listVersions({}, { headers: adminHeaders })).versions).toHaveLength(2)
    for (const gw of gateways) expect(await served(gw)).toBe('two')
  })

  it('lets one of two concurrent applies win; the other gets STALE_EPOCH', async () => {
    const expectedHash = (await status()).headHash
    const results = await Promise.allSettled(
      ['three', 'four'].map((tag) => admin.applyBundle({ files: bundle(origin.url, tag), expectedHash }, { headers: adminHeaders })),
    )
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => ConnectError.from(r.reason))
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(1)
    expect(lost[0]?.code).toBe(Code.Aborted)
    expect(lost[0]?.message).toMatch(/STALE_EPOCH/)
    expect(lost[0]?.findDetails(BundleConflictSchema)[0]?.expectedHash).toBe(expectedHash)
    changes.push((won[0] as PromiseFulfilledResult<{ version?: { hash: string } }>).value.version?.hash ?? '')
    const winner = (await status()).headHash
    expect(winner).toBe(changes[2])
    await waitFor('the winner on both gateways', async () => (await Promise.all(gateways.map(served))).every((t) => t === 'three' || t === 'four'))
  })

  it('rolls back to an earlier version, restoring its routing', async () => {
    const versions = (await admin.listVersions({}, { headers: adminHeaders })).versions
    const two = versions.find((v) => v.hash === changes[1])
    expect(two).toBeDefined()
    const rolled = await admin.rollbackBundle({ version: two?.version ?? 0n }, { headers: adminHeaders })
    expect(rolled.version?.rollbackOf).toBe(two?.version)
    changes.push(rolled.version?.hash ?? '')
    await waitFor('bundle two again on both gateways', async () => (await Promise.all(gateways.map(served))).every((t) => t === 'two'), 5_000)
  })

  it('applies a canary to the labelled gateway only, then promotes it', async () => {
    const canary = await apply(bundle(origin.url, 'five'), 'canary')
    changes.push(canary.version?.hash ?? '')
    await waitFor('the canary gateway on five', async () => (await served(gateways[0] as GatewayProcess)) === 'five')
    expect(await served(gateways[1] as GatewayProcess)).toBe('two')
    const promoted = await apply(bundle(origin.url, 'five'))
    expect(promoted.version?.version).toBe(canary.version?.version)
    changes.push(promoted.version?.hash ?? '')
    await waitFor('both gateways on five', async () => (await Promise.all(gateways.map(served))).every((t) => t === 'five'))
  })

  it('loses no history when the control gateway restarts, and gateways resubscribe', async () => {
    const before = (await admin.listVersions({}, { headers: adminHeaders })).versions
    expect(await control.stop()).toBe(0)
    control = await startControl(Number(new URL(control.url).port))
    admin = clientFor(control.url)
    anonymous = clientFor(control.url)
    const after = (await admin.listVersions({}, { headers: adminHeaders })).versions
    expect(after.map((v) => [v.version, v.hash])).toEqual(before.map((v) => [v.version, v.hash]))
    expect((await status()).headHash).toBe(changes.at(-1))
    // Gateways keep serving while the control gateway is away, then report again.
    await waitFor('both gateways reconnected and converged', async () => {
      const s = await status()
      return s.nodes.filter((n) => n.connected).length === 2 && s.converged
    }, 10_000)
  })

  it('refuses unauthenticated and under-scoped calls, and audits both', async () => {
    await expect(anonymous.getStatus({})).rejects.toMatchObject({ code: Code.Unauthenticated })
    const forged = await new SignJWT({ scope: 'bundle:write' }).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setExpirationTime('10m').sign(new TextEncoder().encode('another-secret-0123456789abcdef!!'))
    await expect(anonymous.getStatus({}, { headers: { authorization: `Bearer ${forged}` } })).rejects.toMatchObject({ code: Code.Unauthenticated })
    const reader = { authorization: `Bearer ${await token('bundle:read', 'bob')}` }
    await expect(admin.applyBundle({ files: bundle(origin.url, 'six'), expectedHash: changes.at(-1) ?? '' }, { headers: reader })).rejects.toMatchObject({
      code: Code.PermissionDenied,
    })
    expect((await status()).headHash).toBe(changes.at(-1))
    const records = (await admin.listAuditRecords({ pageSize: 10 }, { headers: adminHeaders })).records
    expect(records.find((r) => r.result === 'PERMISSION_DENIED')).toMatchObject({ subject: 'bob', action: 'ApplyBundle', remoteAddress: expect.stringMatching(/127\.0\.0\.1/) })
    expect(records.filter((r) => r.result === 'UNAUTHENTICATED' && r.action === 'GetStatus')).toHaveLength(2)
  })

  it('keeps exactly one audit record per change, with who, from where and both hashes', async () => {
    const records = (await admin.listAuditRecords({ pageSize: 1000 }, { headers: adminHeaders })).records.reverse()
    const done = records.filter((r) => (r.action === 'ApplyBundle' || r.action === 'RollbackBundle') && r.result === 'ok')
    expect(done.map((r) => r.newHash)).toEqual(changes)
    expect(done.every((r) => r.subject === 'alice' && r.remoteAddress !== '')).toBe(true)
    expect(done.map((r) => r.oldHash)).toEqual(['', ...changes.slice(0, -1)])
    expect(records.filter((r) => r.result === 'STALE_EPOCH')).toHaveLength(1)
    expect(records.filter((r) => r.result === 'INVALID_ARGUMENT')).toHaveLength(1)
  })

  it('a gateway that cannot validate a pushed bundle keeps the old one and reports why', async () => {
    // Only a control gateway of another version could push what ours refuses: write the head directly.
    const records = createClient(MetadataService, createConnectTransport({ baseUrl: metadata.url, httpVersion: '1.1' }))
    const head = await records.getRecord({ key: 'control/bundle/head' })
    const current = JSON.parse(new TextDecoder().decode(head.record?.value)) as { latest: number; stable: Record<string, unknown> }
    const pushed = { ...current.stable, version: current.latest + 1, hash: 'f'.repeat(64), files: BROKEN }
    await records.putRecord({ key: 'control/bundle/head', value: new TextEncoder().encode(JSON.stringify({ ...current, latest: pushed.version, stable: pushed })) })
    const refused = await waitFor('both gateways to report the refusal', async () => {
      const s = await status()
      return s.nodes.every((n) => n.problems.length > 0) && s.nodes
    })
    expect(refused.every((n) => !n.converged && n.runningHash === changes.at(-1))).toBe(true)
    expect(refused[0]?.problems).toContainEqual(expect.stringMatching(/^policies\/broken\.yaml:4:11: unknown service "nowhere"/))
    for (const gw of gateways) expect(await served(gw)).toBe('five')
    // A rollback puts a valid bundle back everywhere.
    const five = (await admin.listVersions({}, { headers: adminHeaders })).versions.find((v) => v.hash === changes.at(-1))
    await admin.rollbackBundle({ version: five?.version ?? 0n }, { headers: adminHeaders })
    await waitFor('convergence after the rollback', async () => {
      const s = await status()
      return s.converged && s.nodes.every((n) => n.problems.length === 0 && n.runningHash === changes.at(-1))
    })
  })

  it('drives the CLI: apply --wait until converged, diff exits 0 without changes and 2 with, status --json', async () => {
    const env = { ...process.env, GATEHOUSE_CONTROL_URL: control.url, GATEHOUSE_CONTROL_TOKEN: await token('bundle:read bundle:write', 'ci') }
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
        let out = ''
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
        child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d))
        child.on('exit', (code) => resolve({ code, out }))
      })
    const seven = await writeBundle({ 'bundle.yaml': (bundle(origin.url, 'seven')[0] as { text: string }).text })
    const five = await writeBundle({ 'bundle.yaml': (bundle(origin.url, 'five')[0] as { text: string }).text })
    const applied = await cli(['apply', seven, '--wait', '10', '--reason', 'from the CLI'])
    expect(applied.out).toMatch(/^applied version \d+ \([0-9a-f]{12}\) to every gateway/m)
    expect(applied.out).toMatch(/^converged: 2 gateways run it$/m)
    expect(applied.code).toBe(0)
    for (const gw of gateways) expect(await served(gw)).toBe('seven')
    const [same, changed, json] = await Promise.all([cli(['diff', seven]), cli(['diff', five]), cli(['status', '--json'])])
    expect(same.out).toMatch(/no changes/)
    expect(same.code).toBe(0)
    expect(changed.out).toMatch(/~ policy tag: options\.response\.set/)
    expect(changed.code).toBe(2)
    expect(json.code).toBe(0)
    expect(JSON.parse(json.out)).toMatchObject({ converged: true, stable: { author: 'ci', reason: 'from the CLI' } })
    await Promise.all([removeDir(seven), removeDir(five)])
  })

  it('drains a gateway on request: it finishes, exits 0 and leaves the status as disconnected', async () => {
    const gw = gateways[1] as GatewayProcess
    await admin.drainNode({ nodeId: 'gw-b' }, { headers: adminHeaders })
    expect(await gw.exited).toBe(0)
    await waitFor('gw-b shown disconnected', async () => (await status()).nodes.find((n) => n.nodeId === 'gw-b')?.connected === false)
    const audit = (await admin.listAuditRecords({ pageSize: 1 }, { headers: adminHeaders })).records[0]
    expect(audit).toMatchObject({ action: 'DrainNode', target: 'node=gw-b', result: 'ok', subject: 'alice' })
  })
})

describe('control gateway over HTTPS with client certificates (no JWT)', () => {
  let dataDir: string
  let pki: TestPki
  let metadata: NodeProcess
  let control: NodeProcess

  const clientWith = (cert?: IssuedCert) =>
    createClient(
      ControlService,
      createConnectTransport({
        baseUrl: control.url,
        httpVersion: '1.1',
        nodeOptions: { agent: new HttpsAgent({ ca: pki.ca.cert, ...(cert ? { cert: cert.cert, key: cert.key } : {}) }) },
      }),
    )

  beforeAll(async () => {
    ;[dataDir, pki] = await Promise.all([mkdtemp(join(tmpdir(), 'gatehouse-control-tls-')), makeTestPki()])
    metadata = await spawnNode('metadata node', [process.execPath, CLI, 'node', '--role', 'metadata', '--port', '0', '--data', join(dataDir, 'metadata')])
    control = await spawnNode('control gateway (TLS)', [
      process.execPath, CLI, 'control', '--port', '0', '--metadata', metadata.url, '--data', join(dataDir, 'control'),
      '--tls-cert', pki.server.certPath, '--tls-key', pki.server.keyPath, '--client-ca', pki.ca.certPath,
      '--cert-scopes', 'spiffe://example.org/ns/acme/sa/billing=bundle:read;CN=legacy-client=bundle:read bundle:write debug:read',
    ])
  })
  afterAll(async () => {
    await control?.stop()
    await metadata?.stop()
    await pki?.remove()
    if (dataDir) await removeDir(dataDir)
  })

  it('maps verified certificates to scopes, refuses the rest with 401/403, and audits who it was', async () => {
    expect(control.url).toMatch(/^https:/)
    const operator = clientWith(pki.cnClient)
    const applied = await operator.applyBundle({ files: bundle('http://127.0.0.1:9', 'tls'), expectedHash: '' })
    expect(applied.version?.author).toBe('CN=legacy-client')
    const reader = clientWith(pki.spiffeClient)
    expect((await reader.getStatus({})).headHash).toBe(applied.version?.hash)
    await expect(reader.applyBundle({ files: bundle('http://127.0.0.1:9', 'x'), expectedHash: applied.version?.hash ?? '' })).rejects.toMatchObject({ code: Code.PermissionDenied })
    await expect(clientWith(pki.otherCaClient).getStatus({})).rejects.toMatchObject({ code: Code.Unauthenticated })
    await expect(clientWith(pki.expiredClient).getStatus({})).rejects.toMatchObject({ code: Code.Unauthenticated })
    await expect(clientWith().getStatus({})).rejects.toMatchObject({ code: Code.Unauthenticated })
    const records = (await operator.listAuditRecords({})).records
    expect(records.map((r) => [r.subject, r.action, r.result])).toEqual([
      ['', 'GetStatus', 'UNAUTHENTICATED'],
      ['', 'GetStatus', 'UNAUTHENTICATED'],
      ['', 'GetStatus', 'UNAUTHENTICATED'],
      ['spiffe://example.org/ns/acme/sa/billing', 'ApplyBundle', 'PERMISSION_DENIED'],
      ['CN=legacy-client', 'ApplyBundle', 'ok'],
    ])
  })

  it('answers a refused upload with its 403 after the body, however slowly the body comes (no broken pipe)', async () => {
    // Refused at its headers, the rest of the body used to be drained for 500 ms and the
    // connection then closed under the client still writing: EPIPE instead of the answer.
    const body = JSON.stringify({ files: bundle('http://127.0.0.1:9', 'slow'), expectedHash: '' })
    const outcome = await new Promise<{ status?: number; text: string; error?: string; written: boolean }>((resolve) => {
      const req = httpsRequest(`${control.url}/gatehouse.control.v1.ControlService/ApplyBundle`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        agent: new HttpsAgent({ keepAlive: true, ca: pki.ca.cert, cert: pki.spiffeClient.cert, key: pki.spiffeClient.key }),
      })
      let status: number | undefined
      let text = ''
      let error: string | undefined
      const done = () => {
        clearTimeout(timer)
        resolve({ status, text, error, written: req.writableFinished })
      }
      const timer = setTimeout(() => {
        error = 'not done within 10 s'
        done()
      }, 10_000)
      req.on('error', (err) => (error = err.message))
      req.on('response', (res) => {
        status = res.statusCode
        res.setEncoding('utf8').on('data', (d: string) => (text += d))
      })
      // Done when the exchange is over: the answer read and the body written, or an error.
      req.on('close', done)
      // The body in ten pieces over a second, as a big bundle would come over a slow link.
      req.flushHeaders()
      const piece = Math.ceil(body.length / 10)
      let sent = 0
      const more = setInterval(() => {
        if (req.destroyed) return clearInterval(more)
        const next = body.slice(sent, sent + piece)
        sent += piece
        if (sent < body.length) req.write(next)
        else {
          clearInterval(more)
          req.end(next)
        }
      }, 100)
    })
    expect(outcome.error).toBeUndefined()
    expect(outcome.written).toBe(true)
    expect(outcome.status).toBe(403)
    expect(JSON.parse(outcome.text)).toMatchObject({ code: 'PERMISSION_DENIED' })
  })

  it('the CLI presents a client certificate with --ca, --cert and --key', async () => {
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'history', '--control', control.url, '--ca', pki.ca.certPath, '--cert', pki.cnClient.certPath, '--key', pki.cnClient.keyPath], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let text = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (text += d))
      child.on('exit', (code) => resolve({ code, text }))
    })
    expect(out.text).toMatch(/^1\s+[0-9a-f]{12}\s+\S+\s+CN=legacy-client\s+all/m)
    expect(out.code).toBe(0)
  })
})
