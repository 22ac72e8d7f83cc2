import { testInit } from '../testing.ts'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Hono } from 'hono'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import type { JWK, JWTPayload, CryptoKey } from 'jose'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderProblem } from '../../../../internal/shell/errors.ts'
import type { GatewayEnv } from '../../env.ts'
import { jwt } from './index.ts'

const ISS = 'https://idp.test'
const AUD = 'gatehouse'

interface SigningKey { kid: string; alg: string; privateKey: CryptoKey; jwk: JWK }
async function signingKey(kid: string, alg: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg)
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } }
}

const now = () => Math.floor(Date.now() / 1000)
function sign(key: SigningKey, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub: 'user-1', iss: ISS, aud: AUD, iat: now(), exp: now() + 300, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey)
}
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

/** A real JWKS endpoint on loopback: `keys` is served, `hits` counts fetches, `stop()` takes it down. */
async function jwksServer(initial: JWK[]) {
  const state = { keys: initial, hits: 0 }
  const server = createServer((_, res) => {
    state.hits++
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`
  const stop = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  return { state, url, stop }
}

/** One jwt instance in front of a stand-in upstream that echoes the principal and the headers it would be sent. */
function policyApp(options: Record<string, unknown>) {
  const app = new Hono<GatewayEnv>()
  app.onError((err) => renderProblem(err, undefined))
  app.use('*', async (c, next) => {
    c.set('upstreamHeaders', new Headers(c.req.raw.headers))
    await next()
  })
  app.use('*', jwt.create(jwt.options.parse({ issuer: ISS, audience: AUD, ...options }), testInit('auth')))
  app.all('*', async (c) =>
    c.json({ principal: c.var.principal ?? null, upstream: Object.fromEntries(c.var.upstreamHeaders), url: c.req.url, body: await c.req.text() }),
  )
  return app
}
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

let rsa: SigningKey, ec: SigningKey, ed: SigningKey
let idp: Awaited<ReturnType<typeof jwksServer>>
beforeAll(async () => {
  ;[rsa, ec, ed] = await Promise.all([signingKey('rsa-1', 'RS256'), signingKey('ec-1', 'ES256'), signingKey('ed-1', 'EdDSA')])
  idp = await jwksServer([rsa.jwk, ec.jwk])
})
afterAll(() => idp.stop())

describe('jwt: valid tokens', () => {
  it.each(['RS256', 'ES256'])('accepts a %s token from the JWKS and sets the principal', async (alg) => {
    const app = policyApp({ jwks: { url: idp.url }, claims: { tenant: 'tid', roles: 'roles' } })
    const key = alg === 'RS256' ? rsa : ec
    const res = await app.request('/', bearer(await sign(key, { tid: 'acme', scope: 'read write', roles: ['admin'] })))
    expect(res.status).toBe(200)
    const { principal } = (await res.json()) as { principal: Record<string, unknown> }
    expect(principal).toMatchObject({ subject: 'user-1', tenant: 'acme', scopes: ['read', 'write'], roles: ['admin'] })
    expect(principal.claims).toMatchObject({ iss: ISS, aud: AUD, tid: 'acme' })
  })

  it('accepts inline keys and an HMAC secret', async () => {
    const inline = policyApp({ jwks: { keys: [ed.jwk] } })
    expect((await inline.request('/', bearer(await sign(ed)))).status).toBe(200)
    const secret = 's'.repeat(40)
    const token = await new SignJWT({ sub: 'svc', iss: ISS, aud: AUD, exp: now() + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(secret))
    expect((await policyApp({ secret }).request('/', bearer(token))).status).toBe(200)
  })
})

describe('jwt: rejections are 401 with a challenge that names the check, never the token', () => {
  const app = () => policyApp({ jwks: { url: idp.url } })
  const cases: Array<[string, () => Promise<string>, string]> = [
    ['expired', () => sign(rsa, { exp: now() - 120 }), 'token expired'],
    ['not yet valid', () => sign(rsa, { nbf: now() + 120 }), 'token not yet valid (nbf)'],
    ['wrong issuer', () => sign(rsa, { iss: 'https://evil.test' }), 'unexpected issuer'],
    ['wrong audience', () => sign(rsa, { aud: 'other' }), 'unexpected audience'],
    ['HS256 against an RS policy', () => new SignJWT({ sub: 'u', iss: ISS, aud: AUD, exp: now() + 60 }).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(new TextEncoder().encode('x'.repeat(32))), 'algorithm not allowed'],
    ['alg none', async () => `${b64({ alg: 'none' })}.${b64({ sub: 'u', iss: ISS, aud: AUD, exp: now() + 60 })}.`, 'algorithm not allowed'],
    ['oversized', () => sign(rsa, { pad: 'p'.repeat(9000) }), 'token larger than 8192 bytes'],
    ['malformed (two parts)', async () => 'abc.def', 'malformed token'],
    ['malformed (garbage parts)', async () => 'abc.def.ghi', 'malformed token'],
    ['malformed (bad characters)', async () => 'a b.c"d.e', 'malformed token'],
    ['tampered', async () => { const [h, , s] = (await sign(rsa)).split('.'); return `${h}.${b64({ sub: 'admin', iss: ISS, aud: AUD, exp: now() + 60 })}.${s}` }, 'signature verification failed'],
  ]
  it.each(cases)('%s', async (_, make, reason) => {
    const token = await make()
    const res = await app().request('/', bearer(token))
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="gatehouse", error="invalid_token", error_description="${reason}"`)
    const body = await res.text()
    expect(JSON.parse(body)).toMatchObject({ code: 'UNAUTHENTICATED', detail: `invalid token: ${reason}` })
    for (const part of token.split('.').filter((p) => p.length > 8)) expect(body).not.toContain(part)
  })

  it('requires exp even when the signature is good', async () => {
    const token = await new SignJWT({ sub: 'u', iss: ISS, aud: AUD }).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(rsa.privateKey)
    const res = await app().request('/', bearer(token))
    expect(res.headers.get('www-authenticate')).toContain('error_description="token has no valid expiry (exp)"')
  })

  it('answers a request without a token with a bare challenge', async () => {
    for (const init of [{}, { headers: { authorization: 'Basic dTpw' } }]) {
      const res = await app().request('/', init)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"')
    }
  })

  it('lets a request without a token through when not required, but still refuses a bad one', async () => {
    const optional = policyApp({ jwks: { url: idp.url }, required: false })
    const res = await optional.request('/')
    expect(res.status).toBe(200)
    expect(((await res.json()) as { principal: unknown }).principal).toBeNull()
    expect((await optional.request('/', bearer(await sign(rsa, { exp: now() - 120 })))).status).toBe(401)
  })
})

describe('jwt: query tokens', () => {
  it('refuses ?access_token= unless allowed', async () => {
    const token = await sign(rsa)
    const res = await policyApp({ jwks: { url: idp.url } }).request(`/?access_token=${token}`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('tokens in the query string are not accepted')
    expect((await policyApp({ jwks: { url: idp.url }, allowQueryToken: true }).request(`/?access_token=${token}`)).status).toBe(200)
  })

  it('takes an accepted query token out of the URL sent upstream, keeping the other parameters and the body', async () => {
    const token = await sign(rsa)
    const app = policyApp({ jwks: { url: idp.url }, allowQueryToken: true })
    const res = await app.request(`/p/a%20b?x=1&access_token=${token}&y=%7E+z`, { method: 'POST', body: 'payload' })
    expect(res.status).toBe(200)
    const seen = (await res.json()) as { url: string; body: string }
    expect(seen.url).toBe('http://localhost/p/a%20b?x=1&y=%7E+z')
    expect(seen.body).toBe('payload')
    const only = (await (await app.request(`/q?access_token=${token}`)).json()) as { url: string }
    expect(only.url).toBe('http://localhost/q')
  })
})

describe('jwt: algorithms and time claims', () => {
  it.each(['PS256', 'ES384', 'RS512'])('accepts %s when it is allowed', async (alg) => {
    const key = await signingKey(`k-${alg}`, alg)
    const app = policyApp({ jwks: { keys: [key.jwk] }, algorithms: [alg] })
    expect((await app.request('/', bearer(await sign(key)))).status).toBe(200)
    const other = policyApp({ jwks: { keys: [key.jwk] }, algorithms: ['RS256'] })
    expect((await other.request('/', bearer(await sign(key)))).headers.get('www-authenticate')).toContain('algorithm not allowed')
  })

  it('refuses a token issued in the future (beyond the clock skew) and, with maxAge, one issued too long ago', async () => {
    const app = policyApp({ jwks: { url: idp.url }, clockSkew: '30s' })
    expect((await app.request('/', bearer(await sign(rsa, { iat: now() + 10 })))).status).toBe(200)
    const future = await app.request('/', bearer(await sign(rsa, { iat: now() + 120 })))
    expect(future.status).toBe(401)
    expect(future.headers.get('www-authenticate')).toContain('error_description="invalid issued-at time (iat)"')
    const aged = policyApp({ jwks: { url: idp.url }, maxAge: '1m' })
    expect((await aged.request('/', bearer(await sign(rsa, { iat: now() - 10 })))).status).toBe(200)
    expect((await aged.request('/', bearer(await sign(rsa, { iat: now() - 600 })))).headers.get('www-authenticate')).toContain('token too old (iat)')
    const noIat = await new SignJWT({ sub: 'u', iss: ISS, aud: AUD, exp: now() + 60 }).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(rsa.privateKey)
    expect((await aged.request('/', bearer(noIat))).headers.get('www-authenticate')).toContain('invalid issued-at time (iat)')
  })
})

describe('jwt: reusing verified tokens', () => {
  it('refuses a remembered token once it expires (exp + skew), like a fresh one', async () => {
    const app = policyApp({ jwks: { url: idp.url }, clockSkew: '1ms' })
    const token = await sign(rsa, { exp: now() + 1 })
    expect((await app.request('/', bearer(token))).status).toBe(200)
    await new Promise((r) => setTimeout(r, 2_100))
    const res = await app.request('/', bearer(token))
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('token expired')
  })

  it('refuses a remembered token once its key is rotated out of the JWKS', async () => {
    const own = await jwksServer([rsa.jwk])
    const app = policyApp({ jwks: { url: own.url, cooldown: '1ms' } })
    const old = await sign(rsa)
    expect((await app.request('/', bearer(old))).status).toBe(200)
    const next = await signingKey('rsa-3', 'RS256')
    own.state.keys = [next.jwk]
    await new Promise((r) => setTimeout(r, 5))
    expect((await app.request('/', bearer(await sign(next)))).status).toBe(200) // refetch: a new key set
    expect((await app.request('/', bearer(old))).status).toBe(401)
    await own.stop()
  })
})

describe('jwt: a local JWKS file', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jwt-jwks-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))
  const file = async (name: string, text: string) => {
    await writeFile(join(dir, name), text)
    return join(dir, name)
  }

  it('verifies with the keys of the file, together with inline keys', async () => {
    const path = await file('jwks.json', JSON.stringify({ keys: [ec.jwk] }))
    const app = policyApp({ jwks: { file: path, keys: [ed.jwk] } })
    expect((await app.request('/', bearer(await sign(ec)))).status).toBe(200)
    expect((await app.request('/', bearer(await sign(ed)))).status).toBe(200)
    expect((await app.request('/', bearer(await sign(rsa)))).headers.get('www-authenticate')).toContain('no matching key (kid)')
  })

  it.each([
    ['a missing file', async () => join(dir, 'nope.json'), /policy "auth": cannot read JWKS file ".*nope\.json" \(ENOENT\)/],
    ['a file that is not JSON', () => file('bad.json', '{ keys: '), /JWKS file ".*bad\.json" is not valid JSON/],
    ['a private key', () => file('private.json', JSON.stringify({ keys: [{ ...ec.jwk, d: 'secret' }] })), /at keys\.0: only public keys/],
    ['an empty set', () => file('empty.json', '{"keys":[]}'), /JWKS file ".*empty\.json" at keys/],
  ])('refuses %s when the bundle compiles, naming the file', async (_, make, message) => {
    const path = await make()
    expect(() => policyApp({ jwks: { file: path } })).toThrow(message)
  })
})

describe('jwt: forwarding claims', () => {
  it('forwards selected claims as headers and strips spoofed incoming copies', async () => {
    const app = policyApp({ jwks: { url: idp.url }, forward: { sub: 'x-user-id', tid: 'x-tenant-id', groups: 'x-groups' } })
    const token = await sign(rsa, { tid: 'acme', groups: ['a', 'b'] })
    for (let i = 0; i < 2; i++) { // the second time from the verified-token cache
      const res = await app.request('/', { headers: { authorization: `Bearer ${token}`, 'x-user-id': 'root', 'x-tenant-id': 'evil' } })
      const { upstream } = (await res.json()) as { upstream: Record<string, string> }
      expect(upstream).toMatchObject({ 'x-user-id': 'user-1', 'x-tenant-id': 'acme', 'x-groups': 'a,b' })
    }
  })

  it('strips the forwarded headers even when the claim is absent or no token is sent', async () => {
    const app = policyApp({ jwks: { url: idp.url }, forward: { tid: 'x-tenant-id' }, required: false })
    const variants: Array<Record<string, string>> = [{ 'x-tenant-id': 'evil' }, { 'x-tenant-id': 'evil', authorization: `Bearer ${await sign(rsa)}` }]
    for (const headers of variants) {
      const { upstream } = (await (await app.request('/', { headers })).json()) as { upstream: Record<string, string> }
      expect(upstream['x-tenant-id']).toBeUndefined()
    }
  })
})

describe('jwt: the JWKS endpoint', () => {
  it('answers 503 UNAVAILABLE, not 401, when the JWKS cannot be fetched and no keys are cached', async () => {
    const gone = await jwksServer([rsa.jwk])
    await gone.stop()
    const res = await policyApp({ jwks: { url: gone.url, timeout: '1s' } }).request('/', bearer(await sign(rsa)))
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ code: 'UNAVAILABLE' })
    expect(res.headers.has('www-authenticate')).toBe(false)
  })

  it('keeps verifying with the last good keys when the JWKS goes down', async () => {
    const own = await jwksServer([rsa.jwk])
    const app = policyApp({ jwks: { url: own.url, cacheMaxAge: '1ms', cooldown: '1ms' } })
    expect((await app.request('/', bearer(await sign(rsa)))).status).toBe(200)
    await own.stop()
    await new Promise((r) => setTimeout(r, 5)) // the cache is stale: the next request refetches and fails
    expect((await app.request('/', bearer(await sign(rsa)))).status).toBe(200)
    expect((await app.request('/', bearer(await sign(rsa, { iss: 'x' })))).status).toBe(401)
  })

  it('refetches on an unknown kid (rotation: add a key, remove the old one)', async () => {
    const own = await jwksServer([rsa.jwk])
    const app = policyApp({ jwks: { url: own.url, cooldown: '1ms' } })
    expect((await app.request('/', bearer(await sign(rsa)))).status).toBe(200)
    const hits = own.state.hits
    const next = await signingKey('rsa-2', 'RS256')
    own.state.keys = [next.jwk]
    await new Promise((r) => setTimeout(r, 5))
    expect((await app.request('/', bearer(await sign(next)))).status).toBe(200)
    expect(own.state.hits).toBeGreaterThan(hits)
    await new Promise((r) => setTimeout(r, 5))
    const old = await app.request('/', bearer(await sign(rsa)))
    expect(old.status).toBe(401)
    expect(old.headers.get('www-authenticate')).toContain('no matching key (kid)')
    await own.stop()
  })

  it('does not refetch within the cooldown', async () => {
    const own = await jwksServer([rsa.jwk])
    const app = policyApp({ jwks: { url: own.url, cooldown: '1m' } })
    expect((await app.request('/', bearer(await sign(rsa)))).status).toBe(200)
    const hits = own.state.hits
    for (let i = 0; i < 3; i++) expect((await app.request('/', bearer(await sign(ec)))).status).toBe(401)
    expect(own.state.hits).toBe(hits)
    await own.stop()
  })
})
