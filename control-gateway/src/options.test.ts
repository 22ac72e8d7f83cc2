import { describe, expect, it } from 'vitest'
import { parseControlArgs } from './options.ts'

const SECRET = 'x'.repeat(32)
const noEnv = () => undefined

describe('parseControlArgs', () => {
  it('defaults to 127.0.0.1:9090, the local metadata node and .gatehouse/control', () => {
    expect(parseControlArgs(['--jwt-secret', SECRET], noEnv)).toMatchObject({
      hostname: '127.0.0.1',
      port: 9090,
      metadataUrls: ['http://127.0.0.1:7103'],
      auditFile: '.gatehouse/control/audit.log',
      callsPerSecond: 20,
      tls: undefined,
    })
  })

  it('needs a way to authenticate callers, and a long enough secret', () => {
    expect(() => parseControlArgs([], noEnv)).toThrow(/needs --jwt-secret/)
    expect(() => parseControlArgs(['--jwt-secret', 'short'], noEnv)).toThrow(/at least 32/)
    expect(parseControlArgs([], (name) => (name === 'GATEHOUSE_CONTROL_JWT_SECRET' ? SECRET : undefined)).jwtSecret).toBe(SECRET)
  })

  it('reads certificate identities (split at the last "=") and refuses unknown scopes or a missing client CA', () => {
    const tls = ['--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--client-ca', 'ca.pem']
    const args = parseControlArgs([...tls, '--cert-scopes', 'spiffe://x/ns/a/sa/b=bundle:read bundle:write; CN=ci=bundle:read'], noEnv)
    expect([...args.certScopes].map(([id, scopes]) => [id, [...scopes]])).toEqual([
      ['spiffe://x/ns/a/sa/b', ['bundle:read', 'bundle:write']],
      ['CN=ci', ['bundle:read']],
    ])
    expect(() => parseControlArgs([...tls, '--cert-scopes', 'CN=ci=bundle:admin'], noEnv)).toThrow(/unknown scope "bundle:admin"/)
    expect(() => parseControlArgs(['--cert-scopes', 'CN=ci=bundle:read'], noEnv)).toThrow(/--cert-scopes needs/)
    expect(() => parseControlArgs(['--tls-cert', 'c.pem', '--jwt-secret', SECRET], noEnv)).toThrow(/go together/)
  })
})
