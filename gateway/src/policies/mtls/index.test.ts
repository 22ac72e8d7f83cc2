import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { ClientCertificate, ConnInfo } from '../../../../internal/shell/env.ts'
import { renderProblem } from '../../../../internal/shell/errors.ts'
import type { GatewayEnv } from '../../env.ts'
import { testInit } from '../testing.ts'
import { parseSpiffeId } from './identity.ts'
import { mtls } from './index.ts'
import { MtlsOptions } from './options.ts'

const HOUR = 3_600_000
const SPIFFE = 'spiffe://example.org/ns/acme/sa/billing'

/** What the Node adapter hands over for a verified client certificate, with overrides. */
function cert(over: Partial<ClientCertificate> = {}): ClientCertificate {
  return {
    authorized: true,
    subjectCN: 'billing',
    issuerCN: 'test-ca',
    uris: [SPIFFE],
    notBefore: Date.now() - HOUR,
    notAfter: Date.now() + HOUR,
    fingerprint256: 'AA:BB',
    ...over,
  }
}

/** One mtls instance in front of a stand-in upstream echoing the principal and the headers it would get. */
function policyApp(options: Record<string, unknown>) {
  const init = testInit('peers')
  const app = new Hono<GatewayEnv>()
  app.onError((err) => renderProblem(err, undefined))
  app.use('*', async (c, next) => {
    c.set('upstreamHeaders', new Headers(c.req.raw.headers))
    await next()
  })
  app.use('*', mtls.create(MtlsOptions.parse(options), init))
  app.all('*', (c) => c.json({ principal: c.var.principal ?? null, upstream: Object.fromEntries(c.var.upstreamHeaders) }))
  const call = (clientCertificate: ClientCertificate | undefined, headers: Record<string, string> = {}) =>
    app.request('/', { headers }, { clientCertificate } satisfies ConnInfo)
  return { call, metrics: init.metrics }
}

interface Echo {
  principal: { subject: string; tenant?: string; claims: Record<string, unknown> } | null
  upstream: Record<string, string>
}

describe('mtls policy', () => {
  it('makes the SPIFFE ID the subject, maps a path segment to the tenant and forwards both', async () => {
    const { call } = policyApp({ tenantAfter: 'ns', forward: { subject: 'x-client-id', tenant: 'x-tenant', fingerprint: 'x-client-cert-sha256' } })
    const res = await call(cert(), { 'x-client-id': 'spoofed', 'x-tenant': 'spoofed' })
    expect(res.status).toBe(200)
    const body = (await res.json()) as Echo
    expect(body.principal).toMatchObject({ subject: SPIFFE, tenant: 'acme', claims: { spiffeId: SPIFFE, cn: 'billing', issuer: 'test-ca' } })
    expect(body.upstream).toMatchObject({ 'x-client-id': SPIFFE, 'x-tenant': 'acme', 'x-client-cert-sha256': 'AA:BB' })
  })

  it('falls back to the subject CN without a SPIFFE ID; identity "cn" ignores SAN URIs', async () => {
    const fallback = (await (await policyApp({}).call(cert({ uris: [] }))).json()) as Echo
    expect(fallback.principal?.subject).toBe('billing')
    const cnOnly = (await (await policyApp({ identity: 'cn' }).call(cert())).json()) as Echo
    expect(cnOnly.principal?.subject).toBe('billing')
    const notSpiffe = (await (await policyApp({}).call(cert({ uris: ['https://example.org/x'] }))).json()) as Echo
    expect(notSpiffe.principal?.subject).toBe('billing')
  })

  it.each([
    ['no certificate', undefined, 'a client certificate is required', 'missing'],
    ['an expired one (TLS verdict)', cert({ authorized: false, authorizationError: 'CERT_HAS_EXPIRED' }), 'client certificate expired', 'expired'],
    ['one from another CA', cert({ authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'client certificate not issued by a trusted CA', 'untrusted'],
    ['a self-signed one', cert({ authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'client certificate not issued by a trusted CA', 'untrusted'],
    ['an odd TLS verdict', cert({ authorized: false, authorizationError: 'CERT_REVOKED<b>x</b>' }), 'client certificate not verified (CERT_REVOKED)', 'unverified'],
    ['one that expired since the handshake', cert({ notAfter: Date.now() - 1000 }), 'client certificate expired', 'expired'],
    ['one not valid yet', cert({ notBefore: Date.now() + HOUR }), 'client certificate not yet valid', 'not_yet_valid'],
    ['unreadable dates', cert({ notBefore: NaN, notAfter: NaN }), 'client certificate validity unreadable', 'unverified'],
    ['an expired one the TLS stack calls untrusted (Deno)', cert({ authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', notAfter: Date.now() - HOUR }), 'client certificate expired', 'expired'],
    ['no identity at all', cert({ uris: [], subjectCN: undefined }), 'client certificate names no identity (no SPIFFE ID, no subject CN)', 'no_identity'],
    ['a CN with a line break', cert({ uris: [], subjectCN: 'a\r\nx-evil: 1' }), 'client certificate names no identity (no SPIFFE ID, no subject CN)', 'no_identity'],
  ])('refuses %s with 401 problem+json', async (_, certificate, detail, reason) => {
    const { call, metrics } = policyApp({})
    const res = await call(certificate)
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toMatchObject({ code: 'UNAUTHENTICATED', detail })
    expect(metrics.render()).toContain(`gatehouse_mtls_refused_total{policy="peers",reason="${reason}"} 1`)
  })

  it('optional: no certificate passes without a principal (forward headers still stripped), a bad one is refused', async () => {
    const { call } = policyApp({ mode: 'optional', forward: { subject: 'x-client-id' } })
    const none = await call(undefined, { 'x-client-id': 'spoofed' })
    expect(none.status).toBe(200)
    expect(await none.json()).toEqual({ principal: null, upstream: {} })
    expect((await call(cert({ authorized: false, authorizationError: 'CERT_HAS_EXPIRED' }))).status).toBe(401)
    expect((await call(cert())).status).toBe(200)
  })

  it('trust domains: only a SPIFFE ID of an accepted domain is an identity', async () => {
    const { call } = policyApp({ trustDomains: ['example.org'] })
    expect((await call(cert())).status).toBe(200)
    const other = await call(cert({ uris: ['spiffe://evil.example/ns/acme/sa/billing'] }))
    expect(await other.json()).toMatchObject({ status: 401, detail: 'SPIFFE trust domain "evil.example" is not accepted' })
    expect(await (await call(cert({ uris: [] }))).json()).toMatchObject({ status: 401, detail: 'client certificate has no SPIFFE ID' })
  })

  it('identity "spiffe" refuses a CN-only certificate', async () => {
    const res = await policyApp({ identity: 'spiffe' }).call(cert({ uris: [] }))
    expect(await res.json()).toMatchObject({ status: 401, detail: 'client certificate has no SPIFFE ID' })
  })
})

describe('SPIFFE IDs', () => {
  it.each([
    ['spiffe://example.org/ns/acme', { trustDomain: 'example.org', segments: ['ns', 'acme'] }],
    ['spiffe://example.org', { trustDomain: 'example.org', segments: [] }],
    ['spiffe://Example.org/x', undefined], // trust domains are lower case
    ['spiffe://example.org/', undefined],
    ['spiffe://example.org//x', undefined],
    ['spiffe://example.org/../x', undefined],
    ['spiffe://example.org/x?y', undefined],
    ['spiffe://user@example.org/x', undefined],
    ['spiffe://example.org:8443/x', undefined],
    ['https://example.org/x', undefined],
  ])('%s', (uri, parsed) => {
    expect(parseSpiffeId(uri)).toEqual(parsed)
  })
})

describe('mtls options', () => {
  it('defaults to required, SPIFFE ID or CN', () => {
    expect(MtlsOptions.parse({})).toEqual({ mode: 'required', identity: 'spiffe-or-cn', forward: {} })
  })
  it.each([
    [{ mode: 'sometimes' }],
    [{ trustDomains: ['Example.org'] }],
    [{ trustDomains: [] }],
    [{ tenantAfter: 'a/b' }],
    [{ identity: 'cn', tenantAfter: 'ns' }],
    [{ forward: { subject: 'bad header' } }],
    [{ forward: { issuer: 'x-issuer' } }],
    [{ unknown: true }],
  ])('rejects %j', (options) => {
    expect(MtlsOptions.safeParse(options).success).toBe(false)
  })
})
