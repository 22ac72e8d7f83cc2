import { errors } from 'jose'
import { GatewayError } from '../../../../internal/shell/errors.ts'

const REALM = 'Bearer realm="gatehouse"'

/** 401 for a request that carries no token: a challenge without an error (RFC 6750 §3.1). */
export const missingToken = (): GatewayError =>
  new GatewayError('UNAUTHENTICATED', 'a bearer token is required', { headers: { 'www-authenticate': REALM } })

/** 401 naming the check that failed. `reason` is one of ours, never derived from the token. */
export const invalidToken = (reason: string): GatewayError =>
  new GatewayError('UNAUTHENTICATED', `invalid token: ${reason}`, {
    headers: { 'www-authenticate': `${REALM}, error="invalid_token", error_description="${reason}"` },
  })

const CLAIM_REASONS: Readonly<Record<string, string>> = {
  nbf: 'token not yet valid (nbf)',
  iss: 'unexpected issuer',
  aud: 'unexpected audience',
  iat: 'invalid issued-at time (iat)',
  exp: 'token has no valid expiry (exp)',
  sub: 'invalid subject',
}

/** Which check a jose failure stands for. Anything unknown stays generic; a GatewayError passes through. */
export function toRejection(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err
  if (err instanceof errors.JWTExpired) return invalidToken(err.claim === 'iat' ? 'token too old (iat)' : 'token expired')
  if (err instanceof errors.JWTClaimValidationFailed) return invalidToken(CLAIM_REASONS[err.claim] ?? `invalid ${err.claim} claim`)
  if (err instanceof errors.JOSEAlgNotAllowed) return invalidToken('algorithm not allowed')
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalidToken('signature verification failed')
  if (err instanceof errors.JWKSNoMatchingKey) return invalidToken('no matching key (kid)')
  if (err instanceof errors.JWKSMultipleMatchingKeys) return invalidToken('ambiguous key (kid)')
  if (err instanceof errors.JOSENotSupported) return invalidToken('unsupported token or algorithm')
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return invalidToken('malformed token')
  return invalidToken('token rejected')
}
