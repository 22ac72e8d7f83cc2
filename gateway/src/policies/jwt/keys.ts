import { createLocalJWKSet, createRemoteJWKSet, errors } from 'jose'
import type { JSONWebKeySet, JWK, JWTVerifyGetKey } from 'jose'
import { GatewayError } from '../../../../internal/shell/errors.ts'
import type { JwtOptions } from './options.ts'

type JwksOptions = NonNullable<JwtOptions['jwks']>

/** A key-set lookup failed because of the key set itself (the token names no known key): the token's fault. */
const isTokenFault = (err: unknown): boolean =>
  err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported

/**
 * The key lookup for one policy instance, built once in `create()`. Local keys (inline and from
 * the JWKS file, `localKeys`) are tried first;
 * a remote set is fetched at start, cached, and refetched on an unknown `kid` (after `cooldown`).
 * When the identity provider is unreachable the last good set keeps serving; with none, the
 * request fails 503 UNAVAILABLE (an outage is not a bad token).
 */
export interface KeyLookup {
  readonly getKey: JWTVerifyGetKey
  /** Changes (by identity) whenever the remote key set is replaced by a refetch. */
  keySet(): unknown
}

export function createKeyLookup(jwks: JwksOptions, localKeys: readonly JWK[] = []): KeyLookup {
  const local = [...((jwks.keys ?? []) as JWK[]), ...localKeys]
  const inline = local.length > 0 ? createLocalJWKSet({ keys: local }) : undefined
  if (!jwks.url) return { getKey: inline as JWTVerifyGetKey, keySet: () => inline }
  const remote = createRemoteJWKSet(new URL(jwks.url), {
    cooldownDuration: jwks.cooldown,
    cacheMaxAge: jwks.cacheMaxAge,
    timeoutDuration: jwks.timeout,
  })
  remote.reload().catch(() => undefined) // pre-warm; a failure here is retried by the first request
  let lastGood: { jwks: JSONWebKeySet; lookup: JWTVerifyGetKey } | undefined
  let failedAt = Number.NEGATIVE_INFINITY // during an outage, retry at most once per cooldown

  const fromCache = (cause: unknown): JWTVerifyGetKey => {
    const cached = remote.jwks()
    if (!cached) throw new GatewayError('UNAVAILABLE', 'the identity provider keys are unavailable', { cause })
    if (lastGood?.jwks !== cached) lastGood = { jwks: cached, lookup: createLocalJWKSet(cached) }
    return lastGood.lookup
  }
  const fromRemote: JWTVerifyGetKey = async (header, token) => {
    if (Date.now() - failedAt < jwks.cooldown && remote.jwks()) return fromCache(undefined)(header, token)
    try {
      return await remote(header, token)
    } catch (err) {
      if (isTokenFault(err)) throw err
      failedAt = Date.now()
      return fromCache(err)(header, token)
    }
  }
  const keySet = () => remote.jwks()
  if (!inline) return { getKey: fromRemote, keySet }
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await inline(header, token)
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err
      return fromRemote(header, token)
    }
  }
  return { getKey, keySet }
}
