import { describe, expect, it } from 'vitest'
import { JwtOptions } from './options.ts'

const base = { issuer: 'https://idp.test', audience: 'api' }
const accepts = (options: unknown) => JwtOptions.safeParse(options).success

describe('jwt options', () => {
  it('fills defaults (durations in ms)', () => {
    expect(JwtOptions.parse({ ...base, jwks: { url: 'https://idp.test/jwks' } })).toMatchObject({
      jwks: { cooldown: 30_000, cacheMaxAge: 600_000, timeout: 5_000 },
      clockSkew: 30_000,
      maxTokenBytes: 8192,
      allowQueryToken: false,
      claims: { subject: 'sub', scopes: 'scope' },
      forward: {},
      required: true,
    })
  })

  it.each([
    ['a JWKS URL', { ...base, jwks: { url: 'https://idp.test/jwks' } }],
    ['inline keys', { ...base, jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }] } }],
    ['a JWKS file', { ...base, jwks: { file: 'keys/jwks.json' } }],
    ['a maximum token age', { ...base, jwks: { file: 'jwks.json' }, maxAge: '1h' }],
    ['lists of issuers and audiences', { issuer: ['a', 'b'], audience: ['c'], jwks: { url: 'http://127.0.0.1:9/jwks' } }],
    ['a secret with HS algorithms', { ...base, secret: 'k'.repeat(32), algorithms: ['HS256', 'HS512'] }],
    ['claims, forward and durations', { ...base, jwks: { url: 'https://idp.test/j', cooldown: '1m' }, clockSkew: '5s', claims: { tenant: 'tid' }, forward: { sub: 'x-user-id' } }],
  ])('accepts %s', (_, options) => {
    expect(accepts(options)).toBe(true)
  })

  it.each([
    ['no issuer', { audience: 'api', jwks: { url: 'https://idp.test/jwks' } }],
    ['neither jwks nor secret', base],
    ['both jwks and secret', { ...base, jwks: { url: 'https://idp.test/jwks' }, secret: 'k'.repeat(32) }],
    ['an empty jwks', { ...base, jwks: {} }],
    ['an empty JWKS file name', { ...base, jwks: { file: '' } }],
    ['plain http off loopback', { ...base, jwks: { url: 'http://idp.test/jwks' } }],
    ['a private key inline', { ...base, jwks: { keys: [{ kty: 'EC', d: 'secret' }] } }],
    ['a symmetric key inline', { ...base, jwks: { keys: [{ kty: 'oct', k: 'abc' }] } }],
    ['HS256 without a secret', { ...base, jwks: { url: 'https://idp.test/jwks' }, algorithms: ['RS256', 'HS256'] }],
    ['RS256 with a secret', { ...base, secret: 'k'.repeat(32), algorithms: ['RS256'] }],
    ['alg none', { ...base, jwks: { url: 'https://idp.test/jwks' }, algorithms: ['none'] }],
    ['a short secret', { ...base, secret: 'short' }],
    ['a bare-number clock skew', { ...base, jwks: { url: 'https://idp.test/jwks' }, clockSkew: 30 }],
    ['an unknown key', { ...base, jwks: { url: 'https://idp.test/jwks' }, audiences: ['x'] }],
    ['a bad forward header name', { ...base, jwks: { url: 'https://idp.test/jwks' }, forward: { sub: 'x user' } }],
  ])('rejects %s', (_, options) => {
    expect(accepts(options)).toBe(false)
  })
})
