import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { RUNTIMES } from '../../internal/shell/runtime/launch.ts'
import { gatewayFixture } from './harness.ts'

// One key pair for the file: tokens are signed here, the public key is inlined in the bundle.
const { publicKey, privateKey } = await generateKeyPair('ES256')
const jwk = { ...(await exportJWK(publicKey)), kid: 'e2e-1', alg: 'ES256' }

const POLICIES = `policies:
  auth:
    type: jwt
    issuer: https://id.e2e.test/
    audience: edge
    jwks: { keys: [${JSON.stringify(jwk)}] }
    claims: { tenant: tid, scopes: scope }
    forward: { sub: x-user-id }
  can-read:
    type: authorize
    scopes: { all: [items:read] }
    tenant: { from: param, name: tenant }
  two-per-minute:
    type: rate-limit
    key: subject
    limit: { requests: 2, per: 1m }
`
const ROUTES = `  - id: tenant-echo
    match: { method: GET, path: "/demo/echo/{tenant}" }
    policies: [auth, can-read, two-per-minute]
    http: origin
`

function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'e2e-1' })
    .setIssuer('https://id.e2e.test/')
    .setAudience('edge')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey)
}

describe.each(RUNTIMES)('jwt -> authorize -> rate-limit on a route, on %s', (runtime) => {
  const f = gatewayFixture(runtime, ROUTES, POLICIES)
  const get = (path: string, bearer?: string, headers: Record<string, string> = {}) =>
    fetch(`${f.gw.url}${path}`, { headers: { ...headers, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) } })

  it('answers 401 without a token and with a forged one', async () => {
    const none = await get('/demo/echo/acme')
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse"/)
    const other = await generateKeyPair('ES256')
    const forged = await new SignJWT({ sub: 'mallory', tid: 'acme', scope: 'items:read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'e2e-1' })
      .setIssuer('https://id.e2e.test/')
      .setAudience('edge')
      .setExpirationTime('5m')
      .sign(other.privateKey)
    const res = await get('/demo/echo/acme', forged)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
    expect(await res.text()).not.toContain(forged)
  })

  it('answers 403 for a missing scope and for another tenant', async () => {
    expect((await get('/demo/echo/acme', await token({ sub: 'ann', tid: 'acme', scope: 'other' }))).status).toBe(403)
    const cross = await get('/demo/echo/globex', await token({ sub: 'ann', tid: 'acme', scope: 'items:read' }))
    expect(cross.status).toBe(403)
    expect(await cross.json()).toMatchObject({ code: 'PERMISSION_DENIED' })
  })

  it('lets a valid caller through with its subject forwarded (spoofed copies stripped), then rate limits it', async () => {
    const bearer = await token({ sub: `bob-${runtime}`, tid: 'acme', scope: 'items:read items:write' })
    const first = await get('/demo/echo/acme', bearer, { 'x-user-id': 'admin' })
    expect(first.status).toBe(200)
    const seen = (await first.json()) as { headers: Record<string, string> }
    expect(seen.headers['x-user-id']).toBe(`bob-${runtime}`)
    expect(first.headers.get('ratelimit-policy')).toBe('"rate";q=2;w=60')
    expect(first.headers.get('ratelimit-remaining')).toBe('1')
    expect((await get('/demo/echo/acme', bearer)).status).toBe(200)
    const limited = await get('/demo/echo/acme', bearer)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await limited.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 })
    // Another subject has its own bucket.
    expect((await get('/demo/echo/acme', await token({ sub: `carol-${runtime}`, tid: 'acme', scope: 'items:read' }))).status).toBe(200)
  })
})
