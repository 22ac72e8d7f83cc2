/**
 * jwt and api-key end to end: a real gateway process, a real JWKS server on 127.0.0.1 whose keys
 * the test rotates and takes down, and a secrets file of hashed API keys.
 */
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import type { CryptoKey, JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RUNTIMES } from '../../internal/shell/runtime/launch.ts'
import { bundleFor, removeDir, startGateway, startOrigin, waitFor, writeBundle } from './harness.ts'
import type { GatewayProcess } from './harness.ts'

const ISS = 'https://id.e2e.test/'
const AUD = 'edge'
const API_KEY = 'gk_live_4f9b2c7e1a8d3f60b5e9c2d7a1f4e8b3'

interface Key { kid: string; privateKey: CryptoKey; jwk: JWK }
async function newKey(kid: string): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair('ES256')
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } }
}
function token(key: Key, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub: 'ann', tid: 'acme', scope: 'items:read', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(ISS)
    .setAudience(AUD)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey)
}

/** A JWKS endpoint the test controls: `keys` is what it serves; `down()` closes it, `up()` reopens it on the same port. */
async function jwksServer(keys: JWK[]) {
  const state = { keys, hits: 0 }
  let server: Server | undefined
  let port = 0
  const up = async () => {
    server = createServer((_, res) => {
      state.hits++
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }))
    })
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  }
  const down = () => new Promise<void>((resolve) => { server?.closeAllConnections(); server?.close(() => resolve()) })
  await up()
  return { state, url: `http://127.0.0.1:${port}/jwks`, up, down }
}

/** A closed port: connections are refused at once. */
async function closedPortUrl(): Promise<string> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise((resolve) => s.close(resolve))
  return `http://127.0.0.1:${port}/jwks`
}

const route = (id: string, path: string, policies: string) => `  - id: ${id}
    match: { path: "${path}" }
    policies: [${policies}]
    http: origin
`
const ROUTES = [
  route('live', '/demo/echo/live/{rest=**}', 'live-jwt'),
  route('dead', '/demo/echo/dead/{rest=**}', 'dead-jwt'),
  route('query', '/demo/echo/query/{rest=**}', 'query-jwt'),
  route('machine', '/demo/echo/machine/{rest=**}', 'machine-key, can-read'),
].join('')

function policies(liveUrl: string, deadUrl: string, keysFile: string): string {
  const jwt = (name: string, url: string, extra = '') => `  ${name}:
    type: jwt
    issuer: ${ISS}
    audience: ${AUD}
    jwks: { url: "${url}", cooldown: 200ms, cacheMaxAge: 1s, timeout: 1s }
    claims: { tenant: tid }
${extra}`
  return `policies:
${jwt('live-jwt', liveUrl, '    forward: { sub: x-user-id }\n')}${jwt('dead-jwt', deadUrl)}${jwt('query-jwt', liveUrl, '    allowQueryToken: true\n')}  machine-key:
    type: api-key
    keysFile: ${JSON.stringify(keysFile)}
  can-read:
    type: authorize
    scopes: { all: [items:read] }
`
}

describe.each(RUNTIMES)('jwt with a live JWKS server, and api-key, through a gateway process on %s', (runtime) => {
  let origin: Awaited<ReturnType<typeof startOrigin>>
  let idp: Awaited<ReturnType<typeof jwksServer>>
  let first: Key, second: Key
  let secrets: string
  let dir: string
  let gw: GatewayProcess

  beforeAll(async () => {
    ;[first, second] = await Promise.all([newKey('k1'), newKey('k2')])
    idp = await jwksServer([first.jwk])
    origin = await startOrigin()
    secrets = await mkdtemp(join(tmpdir(), 'gatehouse-keys-'))
    const sha256 = createHash('sha256').update(API_KEY).digest('hex')
    // Outside the policy directory, and not *.yaml there: that directory is read as policy files.
    await writeFile(join(secrets, 'keys.yaml'), `keys:\n  - { id: ci, sha256: ${sha256}, subject: ci-bot, tenant: acme, scopes: [items:read] }\n`)
    dir = await writeBundle(bundleFor(origin.url, ROUTES, policies(idp.url, await closedPortUrl(), join(secrets, 'keys.yaml'))))
    gw = await startGateway(runtime, dir)
  }, 30_000)
  afterAll(async () => {
    await gw?.stop()
    await idp?.down()
    await origin?.drain(1000)
    await Promise.all([dir, secrets].filter(Boolean).map(removeDir))
  })

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers })
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` })

  it('pre-warms the JWKS at start and accepts a token signed with its key', async () => {
    await waitFor('the pre-warm fetch', () => idp.state.hits > 0)
    const res = await get('/demo/echo/live/x', { ...bearer(await token(first)), 'x-user-id': 'root' })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { headers: Record<string, string> }).headers['x-user-id']).toBe('ann')
  })

  it('rotation: a new kid is accepted after a refetch; once the old key is removed, old-kid tokens are refused', async () => {
    idp.state.keys = [first.jwk, second.jwk]
    const fresh = await token(second)
    // The unknown kid triggers a refetch as soon as the cooldown since the last fetch has passed.
    await waitFor('the new key to be accepted', async () => (await get('/demo/echo/live/x', bearer(fresh))).status === 200, 5_000)
    idp.state.keys = [second.jwk]
    const old = await token(first)
    // The cached set still holds k1 until it is older than cacheMaxAge (1s); then the refetch drops it.
    const refused = await waitFor('the old key to be refused', async () => {
      const res = await get('/demo/echo/live/x', bearer(old))
      return res.status === 401 ? res : undefined
    }, 5_000)
    expect(refused.headers.get('www-authenticate')).toContain('error_description="no matching key (kid)"')
    expect((await get('/demo/echo/live/x', bearer(fresh))).status).toBe(200)
  })

  it('keeps serving with the last good key set while the JWKS server is down', async () => {
    await idp.down()
    try {
      await new Promise((r) => setTimeout(r, 1_200)) // past cacheMaxAge: every request now tries to refetch
      const t = await token(second)
      for (let i = 0; i < 3; i++) expect((await get('/demo/echo/live/x', bearer(t))).status).toBe(200)
      // A kid the last good set does not know is still a bad token, not an outage.
      expect((await get('/demo/echo/live/x', bearer(await token(await newKey('k9'))))).status).toBe(401)
    } finally {
      await idp.up()
    }
  })

  it('answers 503 UNAVAILABLE, not 401, when the JWKS has never been reachable', async () => {
    const res = await get('/demo/echo/dead/x', bearer(await token(first)))
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE' })
    expect(res.headers.has('www-authenticate')).toBe(false)
  })

  it('takes an accepted ?access_token= out of the URL sent upstream', async () => {
    const res = await get(`/demo/echo/query/x?a=1&access_token=${await token(second)}&b=2`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { query: Record<string, string> }).query).toEqual({ a: '1', b: '2' })
    const refused = await get(`/demo/echo/live/x?access_token=${await token(second)}`)
    expect(refused.status).toBe(401)
  })

  it('answers malformed tokens and oversized headers with a precise 4xx, never a 5xx', async () => {
    const served = idp.state.keys[0]?.kid === first.kid ? first : second // whichever key the JWKS serves now
    const cases: Array<[Record<string, string>, number, string]> = [
      [bearer('abc.def'), 401, 'malformed token'],
      [bearer('a.b.c'), 401, 'malformed token'],
      [bearer('not a jwt at all'), 401, 'malformed token'],
      [bearer(`${'e'.repeat(9000)}.x.y`), 401, 'token larger than 8192 bytes'],
      [{ authorization: 'Bearer' }, 401, ''],
      [{ authorization: `Bearer ${(await token(served)).slice(0, -4)}AAAA` }, 401, 'signature verification failed'],
    ]
    for (const [headers, status, reason] of cases) {
      const res = await get('/demo/echo/live/x', headers)
      expect(res.status, JSON.stringify(headers).slice(0, 80)).toBe(status)
      if (reason) expect(res.headers.get('www-authenticate'), `${runtime} ${res.status}`).toContain(`error_description="${reason}"`)
      const body = await res.text()
      if (headers.authorization && headers.authorization.length > 20) expect(body).not.toContain(headers.authorization.slice(7, 60))
    }
    // A header block under the listener's limit but a token over the policy's: the policy's 401.
    const long = await get('/demo/echo/live/x', bearer(`${'e'.repeat(12_000)}.x.y`))
    expect(long.headers.get('www-authenticate'), `${runtime} ${long.status}`).toContain('token larger than 8192 bytes')
    // Past the listener's header limit (Node 32 KiB as we configure it, Bun 16 KiB, Deno 64 KiB) the runtime
    // itself refuses the request before the gateway sees it: 431, except Deno's server, which answers 400.
    const huge = await get('/demo/echo/live/x', { ...bearer(await token(served)), 'x-padding': 'p'.repeat(64 * 1024) })
    expect(huge.status, `${runtime}: ${huge.status}`).toBe(runtime === 'deno' ? 400 : 431)
    expect((await get('/demo/echo/live/x', bearer(await token(served)))).status).toBe(200)
  })

  it('api-key: a hashed key from the secrets file authenticates, authorize sees its scopes, the key is not forwarded', async () => {
    const res = await get('/demo/echo/machine/x', { 'x-api-key': API_KEY })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { headers: Record<string, string> }).headers['x-api-key']).toBeUndefined()
    const viaAuthorization = await get('/demo/echo/machine/x', { authorization: `ApiKey ${API_KEY}` })
    expect(viaAuthorization.status).toBe(200)
    const wrong = await get('/demo/echo/machine/x', { 'x-api-key': `${API_KEY}x` })
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).not.toContain(API_KEY)
    expect((await get('/demo/echo/machine/x')).status).toBe(401)
  })

  it('api-key: a bundle naming a missing secrets file is refused at load; the previous bundle keeps serving', async () => {
    const gone = join(secrets, 'missing.yaml')
    await writeBundle(bundleFor(origin.url, ROUTES, policies(idp.url, await closedPortUrl(), gone)), dir)
    const refused = await waitFor('the refusal', () => gw.lines.find((l) => l.msg === 'bundle refused; still serving the previous one'))
    expect(JSON.stringify(refused.problems)).toContain(`cannot read API key file \\"${gone}\\" (ENOENT)`)
    expect((await get('/demo/echo/machine/x', { 'x-api-key': API_KEY })).status).toBe(200)
  })
})
