import { createLocalJWKSet, jwtVerify } from 'jose'
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose'
import type { ClientCertificate } from '../../internal/shell/env.ts'
import { GatewayError } from '../../internal/shell/errors.ts'

/** A verified admin caller. */
export interface Caller {
  /** The token's `sub`. */
  readonly subject: string
  readonly scopes: ReadonlySet<string>
}

export interface AuthOptions {
  /** HMAC secret (HS256/384/512). */
  readonly secret?: string | undefined
  /** Public keys (RS*, ES*, PS*, EdDSA), e.g. read from a JWKS file. */
  readonly jwks?: JSONWebKeySet | undefined
  readonly issuer?: string | undefined
  readonly audience?: string | undefined
  /** Allowed clock difference for exp/nbf, in seconds (default 30). */
  readonly clockToleranceSec?: number
  /**
   * Client certificates the listener verified, by identity (a SAN URI such as a SPIFFE id, or
   * `CN=<common name>`) -> the scopes they grant. Used only when the request has no bearer token.
   */
  readonly certificates?: ReadonlyMap<string, ReadonlySet<string>> | undefined
}

/** The caller from the Authorization header, else from the verified client certificate. */
export type Authenticate = (authorization: string | undefined, certificate?: ClientCertificate | undefined) => Promise<Caller>

const SCHEME = /^bearer\s+/i
const HMAC = ['HS256', 'HS384', 'HS512']
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']

/**
 * Verifies an `Authorization: Bearer <jwt>` header with jose: signature (an HMAC secret or a
 * local JWKS, never both algorithm families for one key, so no HS/RS confusion), `exp` required,
 * iss/aud when configured. Scopes come from `scope` (space-separated) or `scopes` (array).
 * Every refusal is a GatewayError UNAUTHENTICATED with a `WWW-Authenticate` challenge.
 */
export function createAuthenticator(options: AuthOptions): Authenticate {
  if (!options.secret && !options.jwks && !options.certificates?.size) {
    throw new TypeError('control gateway auth needs a JWT secret, a JWKS or client certificate identities')
  }
  const secret = options.secret ? new TextEncoder().encode(options.secret) : undefined
  const keys: JWTVerifyGetKey | undefined = options.jwks ? createLocalJWKSet(options.jwks) : undefined
  const base: JWTVerifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockToleranceSec ?? 30,
    requiredClaims: ['exp'],
  }

  const verify = async (token: string): Promise<JWTPayload> => {
    const failures: unknown[] = []
    if (secret) {
      try {
        return (await jwtVerify(token, secret, { ...base, algorithms: HMAC })).payload
      } catch (err) {
        failures.push(err)
      }
    }
    if (keys) {
      try {
        return (await jwtVerify(token, keys, { ...base, algorithms: ASYMMETRIC })).payload
      } catch (err) {
        failures.push(err)
      }
    }
    throw failures.at(-1)
  }

  return async function authenticate(authorization, certificate) {
    if (authorization === undefined && certificate !== undefined) return fromCertificate(certificate, options.certificates)
    if (!secret && !keys) throw refused('bearer tokens are not accepted here; present a client certificate')
    if (authorization === undefined || !SCHEME.test(authorization)) throw refused('missing bearer token')
    const token = authorization.replace(SCHEME, '').trim()
    if (token.length > 8192 || token.split('.').length !== 3) throw refused('malformed token')
    let payload: JWTPayload
    try {
      payload = await verify(token)
    } catch (err) {
      throw refused(`invalid token (${(err as { code?: string }).code ?? 'ERR_JWT_INVALID'})`)
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw refused('token has no subject')
    return { subject: payload.sub, scopes: scopesOf(payload) }
  }
}

/** A verified certificate's first SAN URI, else its CN, looked up in the configured identities. */
function fromCertificate(certificate: ClientCertificate, identities: AuthOptions['certificates']): Caller {
  if (!certificate.authorized) throw refused(`client certificate not verified (${certificate.authorizationError ?? 'unknown reason'})`)
  const candidates = [...certificate.uris, ...(certificate.subjectCN ? [`CN=${certificate.subjectCN}`] : [])]
  const subject = candidates.find((id) => identities?.has(id))
  if (subject === undefined) throw refused(`client certificate ${candidates[0] ?? '(no identity)'} is not a known operator`)
  return { subject, scopes: identities?.get(subject) ?? new Set() }
}

function scopesOf(payload: JWTPayload): ReadonlySet<string> {
  const { scope, scopes } = payload as { scope?: unknown; scopes?: unknown }
  const list = typeof scope === 'string' ? scope.split(' ') : []
  if (Array.isArray(scopes)) list.push(...scopes.filter((s): s is string => typeof s === 'string'))
  return new Set(list.filter((s) => s !== ''))
}

function refused(message: string): GatewayError {
  return new GatewayError('UNAUTHENTICATED', message, { headers: { 'www-authenticate': 'Bearer realm="gatehouse-control"' } })
}
