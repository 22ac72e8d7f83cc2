import type { ClientCertificate } from '../../../../internal/shell/env.ts'
import { GatewayError } from '../../../../internal/shell/errors.ts'
import type { Principal } from '../../principal.ts'
import type { MtlsOptions } from './options.ts'

/** Why a certificate was refused: a bounded label for metrics, and the words for the caller. */
export type Refusal = 'missing' | 'untrusted' | 'expired' | 'not_yet_valid' | 'unverified' | 'no_identity' | 'trust_domain'

export class MtlsRefusal extends GatewayError {
  readonly reason: Refusal
  constructor(reason: Refusal, detail: string) {
    super('UNAUTHENTICATED', detail)
    this.reason = reason
  }
}

/** The TLS stack's verdicts (OpenSSL's names, as Node reports them) in the caller's terms. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'INVALID_CA',
])

/**
 * Refuses a certificate outside its validity period now (checked first: TLS stacks differ in
 * what they report for an expired one — Node says CERT_HAS_EXPIRED, Deno an untrusted leaf — and
 * the handshake may be old: keep-alive, HTTP/2), then one the TLS stack did not verify.
 */
export function checkCertificate(cert: ClientCertificate, now: number): void {
  if (now > cert.notAfter) throw new MtlsRefusal('expired', 'client certificate expired')
  if (now < cert.notBefore) throw new MtlsRefusal('not_yet_valid', 'client certificate not yet valid')
  if (!cert.authorized) {
    const why = cert.authorizationError ?? 'unknown'
    if (why === 'CERT_HAS_EXPIRED') throw new MtlsRefusal('expired', 'client certificate expired')
    if (why === 'CERT_NOT_YET_VALID') throw new MtlsRefusal('not_yet_valid', 'client certificate not yet valid')
    if (UNTRUSTED.has(why)) throw new MtlsRefusal('untrusted', 'client certificate not issued by a trusted CA')
    // The TLS stack's words are OpenSSL constants; anything else is not echoed.
    const code = why.replace(/[^A-Z0-9_]/g, '').slice(0, 64) || 'UNKNOWN'
    throw new MtlsRefusal('unverified', `client certificate not verified (${code})`)
  }
  if (Number.isNaN(cert.notBefore) || Number.isNaN(cert.notAfter)) throw new MtlsRefusal('unverified', 'client certificate validity unreadable')
}

/** A SPIFFE ID (spec §2): `spiffe://<trust domain>/<segments>`, nothing else; undefined when not one. */
export function parseSpiffeId(uri: string): { trustDomain: string; segments: string[] } | undefined {
  const match = /^spiffe:\/\/([a-z0-9._-]+)((?:\/[A-Za-z0-9._-]+)*)$/.exec(uri)
  if (!match || uri.length > 2048) return undefined
  const segments = (match[2] ?? '').split('/').slice(1)
  if (segments.some((s) => s === '.' || s === '..')) return undefined
  return { trustDomain: match[1] as string, segments }
}

/** The principal a verified certificate stands for, per the policy's identity rules. */
export function toPrincipal(cert: ClientCertificate, o: MtlsOptions): Principal {
  const spiffeUri = o.identity === 'cn' ? undefined : cert.uris.find((u) => parseSpiffeId(u) !== undefined)
  const spiffe = spiffeUri === undefined ? undefined : parseSpiffeId(spiffeUri)
  if (o.trustDomains !== undefined) {
    if (!spiffe) throw new MtlsRefusal('no_identity', 'client certificate has no SPIFFE ID')
    if (!o.trustDomains.includes(spiffe.trustDomain)) throw new MtlsRefusal('trust_domain', `SPIFFE trust domain "${spiffe.trustDomain}" is not accepted`)
  }
  const cn = cert.subjectCN
  let subject: string
  if (spiffeUri !== undefined) subject = spiffeUri
  else if (o.identity === 'spiffe') throw new MtlsRefusal('no_identity', 'client certificate has no SPIFFE ID')
  else if (cn !== undefined && cn !== '' && !/[\r\n\0]/.test(cn)) subject = cn
  else throw new MtlsRefusal('no_identity', 'client certificate names no identity (no SPIFFE ID, no subject CN)')
  const tenant = o.tenantAfter !== undefined && spiffe ? segmentAfter(spiffe.segments, o.tenantAfter) : undefined
  return Object.freeze({
    subject,
    ...(tenant !== undefined ? { tenant } : {}),
    scopes: Object.freeze([]),
    roles: Object.freeze([]),
    claims: Object.freeze({
      ...(spiffeUri !== undefined ? { spiffeId: spiffeUri } : {}),
      ...(cn !== undefined ? { cn } : {}),
      ...(cert.issuerCN !== undefined ? { issuer: cert.issuerCN } : {}),
      ...(cert.fingerprint256 !== undefined ? { fingerprint256: cert.fingerprint256 } : {}),
      notAfter: new Date(cert.notAfter).toISOString(),
    }),
  })
}

function segmentAfter(segments: readonly string[], name: string): string | undefined {
  const i = segments.indexOf(name)
  return i >= 0 ? segments[i + 1] : undefined
}
