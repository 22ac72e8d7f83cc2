import { testInit } from '../testing.ts'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { renderProblem } from '../../../../internal/shell/errors.ts'
import type { GatewayEnv } from '../../env.ts'
import type { Principal } from '../../principal.ts'
import { authorize } from './index.ts'

const principal = (p: Partial<Principal> = {}): Principal => ({ subject: 'user-1', scopes: [], roles: [], claims: {}, ...p })

/**
 * One authorize instance behind a stand-in authentication step that sets `principal`, and
 * (`null`: none), and `params` as the gateway's router would (`/t/{tenant}/...`, decoded once); the upstream says ok.
 */
function policyApp(options: unknown, who: Principal | null = principal()) {
  const app = new Hono<GatewayEnv>()
  app.onError((err) => renderProblem(err, undefined))
  app.use('*', async (c, next) => {
    c.set('principal', who ?? undefined)
    c.set('params', {})
    await next()
  })
  app.use('/t/:tenant/*', async (c, next) => {
    c.set('params', { tenant: c.req.param('tenant') })
    await next()
  })
  app.use('*', authorize.create(authorize.options.parse(options), testInit('authz')))
  app.all('*', (c) => c.text('ok'))
  return app
}

async function denied(res: Response, requirement: string, detail: string | RegExp) {
  expect(res.status).toBe(403)
  const body = (await res.json()) as Record<string, unknown>
  expect(body).toMatchObject({ code: 'PERMISSION_DENIED', requirement })
  expect(body.detail).toMatch(detail)
}

describe('authorize: authentication', () => {
  it('answers 401 with a Bearer challenge when there is no principal', async () => {
    const res = await policyApp({ scopes: { all: ['read'] } }, null).request('/')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"')
    expect(await res.json()).toMatchObject({ code: 'UNAUTHENTICATED' })
  })

  it('with no requirements, still needs a principal', async () => {
    expect((await policyApp({}, null).request('/')).status).toBe(401)
    expect((await policyApp({}).request('/')).status).toBe(200)
  })

  it('anonymous: lets a request without a principal through, request rules still apply', async () => {
    const app = policyApp({ anonymous: true, rules: [{ request: 'method', in: ['GET', 'HEAD'] }] }, null)
    expect((await app.request('/')).status).toBe(200)
    await denied(await app.request('/', { method: 'DELETE' }), 'rules', 'rule 1 (request method) not satisfied')
  })
})

describe('authorize: scopes and roles', () => {
  it.each([
    ['scopes all', { scopes: { all: ['read', 'write'] } }, { scopes: ['write', 'read', 'x'] }, { scopes: ['read'] }, 'scopes', 'missing scope "write"'],
    ['scopes any', { scopes: { any: ['read', 'admin'] } }, { scopes: ['admin'] }, { scopes: ['write'] }, 'scopes', 'needs one of the scopes "read", "admin"'],
    ['roles all', { roles: { all: ['editor'] } }, { roles: ['editor'] }, { roles: ['Editor'] }, 'roles', 'missing role "editor"'],
    ['roles any', { roles: { any: ['a', 'b'] } }, { roles: ['b'] }, { roles: [] }, 'roles', 'needs one of the roles "a", "b"'],
  ])('%s: passes and fails', async (_, options, ok, bad, requirement, detail) => {
    expect((await policyApp(options, principal(ok)).request('/')).status).toBe(200)
    await denied(await policyApp(options, principal(bad)).request('/'), requirement, detail)
  })

  it('all and any together must both hold', async () => {
    const options = { scopes: { all: ['read'], any: ['eu', 'us'] } }
    expect((await policyApp(options, principal({ scopes: ['read', 'us'] })).request('/')).status).toBe(200)
    await denied(await policyApp(options, principal({ scopes: ['read'] })).request('/'), 'scopes', /needs one of/)
    await denied(await policyApp(options, principal({ scopes: ['eu'] })).request('/'), 'scopes', /missing scope "read"/)
  })
})

describe('authorize: tenant from a path parameter', () => {
  const options = { tenant: { from: 'param', name: 'tenant' } }
  const acme = principal({ tenant: 'acme' })

  it('passes when the decoded parameter equals the principal tenant', async () => {
    expect((await policyApp(options, acme).request('/t/acme/docs')).status).toBe(200)
    expect((await policyApp(options, acme).request('/t/%61cme/docs')).status).toBe(200) // decoded once: "acme"
  })

  it.each([
    ['another tenant', '/t/globex/docs'],
    ['a case variant', '/t/ACME/docs'],
    ['a double-encoded name', '/t/%2561cme/docs'],
    ['a trailing NUL', '/t/acme%00/docs'],
    ['a look-alike (Cyrillic a)', '/t/%D0%B0cme/docs'],
  ])('refuses %s', async (_, path) => {
    await denied(await policyApp(options, acme).request(path), 'tenant', 'tenant mismatch (path parameter "tenant")')
  })

  it('refuses when either side has no tenant', async () => {
    await denied(await policyApp(options, acme).request('/other'), 'tenant', 'the request names no tenant (path parameter "tenant")')
    await denied(await policyApp(options, principal()).request('/t/acme/docs'), 'tenant', 'the principal has no tenant')
    await denied(await policyApp(options, principal({ tenant: '' })).request('/t/acme/docs'), 'tenant', 'the principal has no tenant')
  })
})

describe('authorize: tenant from a header', () => {
  const app = policyApp({ tenant: { from: 'header', name: 'x-tenant' } }, principal({ tenant: 'acme' }))

  it('passes on an exact match, in any header-name case', async () => {
    expect((await app.request('/', { headers: { 'X-Tenant': 'acme' } })).status).toBe(200)
  })

  it('refuses a mismatch, a case variant, an encoded value and a missing header', async () => {
    await denied(await app.request('/', { headers: { 'x-tenant': 'globex' } }), 'tenant', 'tenant mismatch (header "x-tenant")')
    await denied(await app.request('/', { headers: { 'x-tenant': 'Acme' } }), 'tenant', /mismatch/)
    await denied(await app.request('/', { headers: { 'x-tenant': '%61cme' } }), 'tenant', /mismatch/)
    await denied(await app.request('/'), 'tenant', 'the request names no tenant (header "x-tenant")')
  })

  it('refuses a tenant header given twice, even when both copies match', async () => {
    for (const second of ['acme', 'globex']) {
      const headers = new Headers([['x-tenant', 'acme'], ['x-tenant', second]])
      await denied(await app.request('/', { headers }), 'tenant', 'tenant header "x-tenant" given more than once')
    }
  })
})

describe('authorize: rules', () => {
  const claims = { org: { id: 'org-7', plan: 'pro', seats: 5, beta: true }, email_verified: true, 'https://x.test/tier': 'gold' }

  it.each([
    ['equals on a dotted claim', { claim: 'org.plan', equals: 'pro' }, { claim: 'org.plan', equals: 'free' }],
    ['in on a dotted claim', { claim: 'org.id', in: ['org-1', 'org-7'] }, { claim: 'org.id', in: ['org-1'] }],
    ['prefix on a claim', { claim: 'org.id', prefix: 'org-' }, { claim: 'org.id', prefix: 'team-' }],
    ['a number and a boolean claim', { claim: 'org.seats', equals: '5' }, { claim: 'email_verified', equals: 'false' }],
    ['a claim name that contains dots', { claim: 'https://x.test/tier', equals: 'gold' }, { claim: 'https://x.test/tier', equals: 'silver' }],
  ])('%s', async (_, pass, fail) => {
    const who = principal({ claims })
    expect((await policyApp({ rules: [pass] }, who).request('/')).status).toBe(200)
    await denied(await policyApp({ rules: [pass, fail] }, who).request('/'), 'rules', /^rule 2 \(claim ".+"\) not satisfied$/)
  })

  it('fails on a missing claim or one that is not a scalar, without echoing values', async () => {
    const who = principal({ claims })
    await denied(await policyApp({ rules: [{ claim: 'org.nope', equals: 'x' }] }, who).request('/'), 'rules', 'rule 1 (claim "org.nope"): no usable value')
    const res = await policyApp({ rules: [{ claim: 'org', prefix: 'x' }] }, who).request('/')
    expect(await res.text()).not.toContain('org-7')
  })

  it('checks the method, a header and a path parameter', async () => {
    const rules = [
      { request: 'method', in: ['GET', 'PUT'] },
      { request: 'header:x-env', equals: 'prod' },
      { request: 'param:tenant', prefix: 'ac' },
    ]
    const app = policyApp({ rules })
    expect((await app.request('/t/acme/x', { method: 'PUT', headers: { 'x-env': 'prod' } })).status).toBe(200)
    await denied(await app.request('/t/acme/x', { method: 'POST', headers: { 'x-env': 'prod' } }), 'rules', 'rule 1 (request method) not satisfied')
    await denied(await app.request('/t/acme/x', { headers: { 'x-env': 'dev' } }), 'rules', 'rule 2 (request header:x-env) not satisfied')
    await denied(await app.request('/t/acme/x'), 'rules', 'rule 2 (request header:x-env): no usable value')
    await denied(await app.request('/t/globex/x', { headers: { 'x-env': 'prod' } }), 'rules', 'rule 3 (request param:tenant) not satisfied')
  })

  it('checks the decoded path, and refuses encodings that change its structure', async () => {
    const app = policyApp({ rules: [{ request: 'path', prefix: '/public/' }] })
    expect((await app.request('/public/a')).status).toBe(200)
    expect((await app.request('/%70ublic/a%20b')).status).toBe(200)
    await denied(await app.request('/private/a'), 'rules', 'rule 1 (request path) not satisfied')
    for (const path of ['/public%2F..%2Fprivate', '/public/..%2fprivate', '/public/%E0%A4%A', '/public/a%5C..%5Cb'])
      await denied(await app.request(path), 'rules', 'rule 1 (request path): no usable value')
  })
})
