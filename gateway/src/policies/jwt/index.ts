import { jwtVerify } from 'jose'
import type { JWTPayload, JWTVerifyOptions } from 'jose'
import type { Context } from 'hono'
import type { GatewayEnv } from '../../env.ts'
import { definePolicy } from '../types.ts'
import { claim, headerValue, toPrincipal } from './claims.ts'
import { createKeyLookup } from './keys.ts'
import { DEFAULT_ALGORITHMS, HMAC_ALGORITHMS, JwtOptions } from './options.ts'
import { invalidToken, missingToken, toRejection } from './reject.ts'

export { JwtOptions } from './options.ts'

/** RFC 6750 b64token, optionally with padding. */
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
const SCHEME = /^bearer\s+/i

/** The request's token: undefined when there is none; throws a 401 when it is refused before verification. */
function bearerToken(c: Context<GatewayEnv>, o: JwtOptions): string | undefined {
  const header = c.req.header('authorization')
  const fromHeader = header !== undefined && SCHEME.test(header) ? header.replace(SCHEME, '').trim() : undefined
  const fromQuery = c.req.query('access_token')
  if (fromQuery !== undefined && !o.allowQueryToken) throw invalidToken('tokens in the query string are not accepted')
  if (fromHeader !== undefined && fromQuery !== undefined) throw invalidToken('more than one token in the request')
  const token = fromHeader ?? fromQuery
  if (token === undefined) return undefined
  if (token.length > o.maxTokenBytes) throw invalidToken(`token larger than ${o.maxTokenBytes} bytes`)
  if (!TOKEN.test(token) || token.split('.').length !== 3) throw invalidToken('malformed token')
  return token
}

/**
 * Verifies a bearer JWT (signature against a JWKS or an HMAC secret, an allow-list of algorithms,
 * iss, aud, exp required, nbf/iat with clock skew), then sets `principal` and forwards selected
 * claims upstream as headers. Rejections are 401 with a `WWW-Authenticate` challenge; a JWKS that
 * cannot be fetched with no cached keys is 503.
 */
export const jwt = definePolicy({
  type: 'jwt',
  description: 'Authenticate bearer JWTs (JWKS or HMAC secret) and set the principal',
  options: JwtOptions,
  create(o) {
    const algorithms = [...(o.algorithms ?? (o.secret !== undefined ? HMAC_ALGORITHMS : DEFAULT_ALGORITHMS))]
    const verifyOptions: JWTVerifyOptions = {
      algorithms,
      issuer: o.issuer,
      audience: o.audience,
      clockTolerance: o.clockSkew / 1000,
      requiredClaims: ['exp'],
    }
    const secret = o.secret !== undefined ? new TextEncoder().encode(o.secret) : undefined
    const keys = o.jwks !== undefined ? createKeyLookup(o.jwks) : undefined
    const verify = async (token: string): Promise<JWTPayload> => {
      if (keys) return (await jwtVerify(token, keys, verifyOptions)).payload
      if (secret) return (await jwtVerify(token, secret, verifyOptions)).payload
      throw new Error('jwt: neither keys nor secret (the options schema requires one)')
    }
    const forwarded = Object.entries(o.forward)

    return async function jwt(c, next) {
      const upstream = c.get('upstreamHeaders')
      for (const [, header] of forwarded) upstream.delete(header) // never trust incoming copies
      const token = bearerToken(c, o)
      if (token === undefined) {
        if (o.required) throw missingToken()
        return next()
      }
      let payload: JWTPayload
      try {
        payload = await verify(token)
      } catch (err) {
        throw toRejection(err)
      }
      c.set('principal', toPrincipal(payload, o.claims))
      for (const [name, header] of forwarded) {
        const value = headerValue(claim(payload, name))
        if (value !== undefined) upstream.set(header, value)
      }
      await next()
    }
  },
})
