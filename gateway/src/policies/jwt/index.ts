import { jwtVerify } from 'jose'
import type { JWTPayload, JWTVerifyOptions } from 'jose'
import type { Context } from 'hono'
import type { GatewayEnv } from '../../env.ts'
import { definePolicy, inboundPolicy } from '../types.ts'
import { claim, headerValue, toPrincipal } from './claims.ts'
import { readJwksFile } from './jwks-file.ts'
import { createKeyLookup } from './keys.ts'
import { DEFAULT_ALGORITHMS, HMAC_ALGORITHMS, JwtOptions } from './options.ts'
import { dropQueryCredential } from './query-credential.ts'
import { invalidToken, missingToken, toRejection } from './reject.ts'
import { createVerifiedTokens, validUntil } from './verified-tokens.ts'
import type { Verified } from './verified-tokens.ts'

export { JwtOptions } from './options.ts'

/** RFC 6750 b64token, optionally with padding. */
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
const SCHEME = /^bearer\s+/i
const QUERY_PARAM = 'access_token'

/** The request's token: undefined when there is none; throws a 401 when it is refused before verification. */
function bearerToken(c: Context<GatewayEnv>, o: JwtOptions): string | undefined {
  const header = c.req.header('authorization')
  const fromHeader = header !== undefined && SCHEME.test(header) ? header.replace(SCHEME, '').trim() : undefined
  const fromQuery = c.req.query(QUERY_PARAM)
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
 * cannot be fetched with no cached keys is 503. An accepted `?access_token=` is not sent upstream.
 */
export const jwt = definePolicy({
  type: 'jwt',
  description: 'Authenticate bearer JWTs (JWKS or HMAC secret) and set the principal',
  options: JwtOptions,
  create(o, init) {
    const algorithms = [...(o.algorithms ?? (o.secret !== undefined ? HMAC_ALGORITHMS : DEFAULT_ALGORITHMS))]
    const verifyOptions: JWTVerifyOptions = {
      algorithms,
      issuer: o.issuer,
      audience: o.audience,
      clockTolerance: o.clockSkew / 1000,
      requiredClaims: ['exp'],
      ...(o.maxAge !== undefined ? { maxTokenAge: o.maxAge / 1000 } : {}),
    }
    const secret = o.secret !== undefined ? new TextEncoder().encode(o.secret) : undefined
    const fileKeys = o.jwks?.file !== undefined ? readJwksFile(init, o.jwks.file) : []
    const keys = o.jwks !== undefined ? createKeyLookup(o.jwks, fileKeys) : undefined
    const verify = async (token: string): Promise<JWTPayload> => {
      let payload: JWTPayload
      if (keys) payload = (await jwtVerify(token, keys.getKey, verifyOptions)).payload
      else if (secret) payload = (await jwtVerify(token, secret, verifyOptions)).payload
      else throw new Error('jwt: neither keys nor secret (the options schema requires one)')
      // jose checks a future iat only together with maxTokenAge; a token from the future is refused regardless.
      if (typeof payload.iat === 'number' && payload.iat * 1000 > Date.now() + o.clockSkew) throw invalidToken('invalid issued-at time (iat)')
      return payload
    }
    const forwarded = Object.entries(o.forward)
    const keySet = keys ? keys.keySet : () => secret
    const verifiedTokens = createVerifiedTokens(o.cache.maxEntries, o.cache.ttl)
    const toVerified = (payload: JWTPayload): Verified => ({
      principal: toPrincipal(payload, o.claims),
      headers: forwarded.flatMap(([name, header]) => {
        const value = headerValue(claim(payload, name))
        return value === undefined ? [] : [[header, value] as const]
      }),
    })

    const accept = (c: Context<GatewayEnv>, verified: Verified): void => {
      c.set('principal', verified.principal)
      if (o.allowQueryToken) dropQueryCredential(c, QUERY_PARAM)
      const upstream = c.get('upstreamHeaders')
      for (const [header, value] of verified.headers) upstream.set(header, value)
    }
    const verifyNew = async (c: Context<GatewayEnv>, token: string): Promise<void> => {
      let payload: JWTPayload
      try {
        payload = await verify(token)
      } catch (err) {
        throw toRejection(err)
      }
      accept(c, verifiedTokens.add(token, keySet(), validUntil(payload, o.clockSkew, o.maxAge), toVerified(payload)))
    }

    // Not async: a token verified before answers from the cache without a promise.
    return inboundPolicy(function jwt(c) {
      const upstream = c.get('upstreamHeaders')
      for (const [, header] of forwarded) upstream.delete(header) // never trust incoming copies
      const token = bearerToken(c, o)
      if (token === undefined) {
        if (o.required) throw missingToken()
        return
      }
      const verified = verifiedTokens.get(token, keySet())
      if (verified === undefined) return verifyNew(c, token)
      accept(c, verified)
    })
  },
})
