import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderProblem } from '../../../../internal/shell/errors.ts'
import type { GatewayEnv, GatewayMiddleware } from '../../env.ts'
import { authorize } from '../authorize/index.ts'
import { rateLimit } from '../rate-limit/index.ts'
import { shellFields, testInit } from '../testing.ts'
import { apiKey } from './index.ts'

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex')
const ACME_KEY = 'gh-acme-3q2+7w/Zk9XvLp0s4Rt1uYb8NcQeHa5='
const OLD_KEY = 'expired-key-0123456789abcdef'
const KEYS = `# hashed keys only
keys:
  - id: acme-ci
    sha256: ${sha256(ACME_KEY).toUpperCase()}
    subject: ci-bot
    tenant: acme
    scopes: [items:read, items:write]
    roles: [deployer]
  - id: old
    sha256: ${sha256(OLD_KEY)}
    subject: legacy
    expires: 2020-01-01
`

let dir: string
let keysFile: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'api-key-'))
  keysFile = join(dir, 'keys.yaml')
  await writeFile(keysFile, KEYS)
})
afterAll(() => rm(dir, { recursive: true, force: true }))

/** Policies in front of a stand-in upstream that echoes the principal, URL and upstream headers. */
function appWith(...policies: GatewayMiddleware[]) {
  const app = new Hono<GatewayEnv>()
  app.use('*', shellFields)
  app.onError((err) => renderProblem(err, undefined))
  app.use('*', async (c, next) => {
    c.set('upstreamHeaders', new Headers(c.req.raw.headers))
    c.set('routeId', 'r')
    c.set('remoteAddress', '192.0.2.1')
    await next()
  })
  for (const p of policies) app.use('*', p)
  app.all('*', (c) => c.json({ principal: c.get('principal') ?? null, url: c.req.url, upstream: Object.fromEntries(c.get('upstreamHeaders')) }))
  return app
}
const policy = (options: Record<string, unknown> = {}) => apiKey.create(apiKey.options.parse({ keysFile, ...options }), testInit('keys'))
interface Seen { principal: Record<string, unknown> | null; url: string; upstream: Record<string, string> }

describe('api-key: accepted keys', () => {
  it('accepts a key from x-api-key, sets the principal and does not forward the key', async () => {
    const res = await appWith(policy()).request('/', { headers: { 'x-api-key': ACME_KEY } })
    expect(res.status).toBe(200)
    const seen = (await res.json()) as Seen
    expect(seen.principal).toEqual({
      subject: 'ci-bot',
      tenant: 'acme',
      scopes: ['items:read', 'items:write'],
      roles: ['deployer'],
      claims: { key_id: 'acme-ci', sub: 'ci-bot', tenant: 'acme', scope: 'items:read items:write', roles: ['deployer'] },
    })
    expect(seen.upstream['x-api-key']).toBeUndefined()
  })

  it('accepts "Authorization: ApiKey", and a custom header; other Authorization schemes pass upstream untouched', async () => {
    const viaAuthorization = (await (await appWith(policy()).request('/', { headers: { authorization: `ApiKey ${ACME_KEY}` } })).json()) as Seen
    expect(viaAuthorization.principal?.subject).toBe('ci-bot')
    expect(viaAuthorization.upstream.authorization).toBeUndefined()
    const custom = appWith(policy({ header: 'x-machine-key', required: false }))
    const seen = (await (await custom.request('/', { headers: { 'x-machine-key': ACME_KEY, authorization: 'Bearer abc' } })).json()) as Seen
    expect(seen.principal?.subject).toBe('ci-bot')
    expect(seen.upstream).toMatchObject({ authorization: 'Bearer abc' })
    expect(seen.upstream['x-machine-key']).toBeUndefined()
  })

  it('accepts a key in the query only when the policy names the parameter, and takes it out of the URL', async () => {
    const app = appWith(policy({ query: 'key' }))
    const res = await app.request(`/items?x=1&key=${encodeURIComponent(ACME_KEY)}`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as Seen).url).toBe('http://localhost/items?x=1')
  })

  it('gives authorize and rate-limit the same principal jwt would', async () => {
    const can = authorize.create(authorize.options.parse({ scopes: { all: ['items:write'] }, tenant: { from: 'header', name: 'x-tenant' } }), testInit('can'))
    const limit = rateLimit.create(rateLimit.options.parse({ key: 'subject', limit: { requests: 1, per: '1m' } }), testInit('rl'))
    const app = appWith(policy(), can, limit)
    const headers = { 'x-api-key': ACME_KEY, 'x-tenant': 'acme' }
    expect((await app.request('/', { headers })).status).toBe(200)
    expect((await app.request('/', { headers })).status).toBe(429)
    expect((await app.request('/', { headers: { ...headers, 'x-tenant': 'globex' } })).status).toBe(403)
  })
})

describe('api-key: refusals are 401 problems that never echo the key', () => {
  const cases: Array<[string, Record<string, string>, string, string]> = [
    ['no key', {}, '', 'an API key is required'],
    ['an unknown key', { 'x-api-key': 'not-a-known-key-0123456789' }, '', 'invalid API key'],
    ['an expired key', { 'x-api-key': OLD_KEY }, '', 'API key expired'],
    ['a malformed key', { 'x-api-key': 'has space-0123456789' }, '', 'malformed API key'],
    ['an oversized key', { 'x-api-key': 'k'.repeat(600) }, '', 'API key longer than 512 characters'],
    ['two keys', { 'x-api-key': ACME_KEY, authorization: `ApiKey ${ACME_KEY}` }, '', 'more than one API key in the request'],
    ['a key in the query string', {}, `?api_key=${encodeURIComponent(ACME_KEY)}`, 'API keys in the query string are not accepted'],
  ]
  it.each(cases)('%s', async (_, headers, query, detail) => {
    const res = await appWith(policy()).request(`/${query}`, { headers })
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    expect(res.headers.get('www-authenticate')).toBe('ApiKey realm="gatehouse"')
    const body = await res.text()
    expect(JSON.parse(body)).toMatchObject({ code: 'UNAUTHENTICATED', detail })
    for (const secret of [ACME_KEY, OLD_KEY, 'not-a-known-key', 'has space']) expect(body).not.toContain(secret)
  })

  it('lets a request without a key through when not required, but still refuses a bad one', async () => {
    const app = appWith(policy({ required: false }))
    expect(((await (await app.request('/')).json()) as Seen).principal).toBeNull()
    expect((await app.request('/', { headers: { 'x-api-key': 'wrong-key-0123456789' } })).status).toBe(401)
  })
})

describe('api-key: the secrets file', () => {
  const write = async (name: string, text: string) => {
    await writeFile(join(dir, name), text)
    return join(dir, name)
  }
  const entry = (extra = '') => `keys:\n  - id: a\n    sha256: ${sha256('k1-0123456789')}\n    subject: a\n${extra}`

  it('is read again by each compile (a bundle reload picks up new keys)', async () => {
    const path = await write('rotating.yaml', entry())
    const first = appWith(apiKey.create(apiKey.options.parse({ keysFile: path }), testInit('k')))
    expect((await first.request('/', { headers: { 'x-api-key': 'k2-0123456789' } })).status).toBe(401)
    await write('rotating.yaml', `${entry()}  - id: b\n    sha256: ${sha256('k2-0123456789')}\n    subject: b\n`)
    const second = appWith(apiKey.create(apiKey.options.parse({ keysFile: path }), testInit('k')))
    expect((await second.request('/', { headers: { 'x-api-key': 'k2-0123456789' } })).status).toBe(200)
  })

  it('accepts JSON too', async () => {
    const path = await write('keys.json', JSON.stringify({ keys: [{ id: 'j', sha256: sha256('json-key-0123'), subject: 'j', expires: '2999-01-01T00:00:00Z' }] }))
    const app = appWith(apiKey.create(apiKey.options.parse({ keysFile: path }), testInit('k')))
    expect((await app.request('/', { headers: { 'x-api-key': 'json-key-0123' } })).status).toBe(200)
  })

  it.each([
    ['a missing file', async () => join(dir, 'nope.yaml'), /policy "k": cannot read API key file ".*nope\.yaml" \(ENOENT\)/],
    ['not YAML', () => write('bad.yaml', 'keys: [\n'), /API key file ".*bad\.yaml": not valid YAML/],
    ['a plain-text key', () => write('plain.yaml', `${entry()}    key: k1-0123456789\n`), /at keys\.0: Unrecognized key: "key"/],
    ['a bad digest', () => write('digest.yaml', 'keys:\n  - { id: a, sha256: abc, subject: a }\n'), /at keys\.0\.sha256: expected the 64 hex digits/],
    ['a bad expiry', () => write('expiry.yaml', entry('    expires: next week\n')), /at keys\.0\.expires: expected an ISO 8601 date/],
    ['a duplicate id', () => write('dup-id.yaml', `${entry()}  - { id: a, sha256: ${sha256('other-0123456789')}, subject: b }\n`), /at keys\.1\.id: key id "a" appears twice/],
    ['a duplicate digest', () => write('dup-key.yaml', `${entry()}  - { id: b, sha256: ${sha256('k1-0123456789')}, subject: b }\n`), /at keys\.1\.sha256: the same key hash as "a"/],
  ])('refuses %s when the bundle compiles, naming the file', async (_, make, message) => {
    const path = await make()
    expect(() => apiKey.create(apiKey.options.parse({ keysFile: path }), testInit('k'))).toThrow(message)
  })
})
