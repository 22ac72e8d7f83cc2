import type { Context } from 'hono'
import type { GatewayEnv } from '../../env.ts'
import { invalidKey } from './reject.ts'
import type { ApiKeyOptions } from './options.ts'

const SCHEME = /^apikey\s+/i
/** Visible ASCII without spaces: what keys from `openssl rand -base64|-hex` and most vendors look like. */
const KEY = /^[\x21-\x7e]+$/
export const MAX_KEY_LENGTH = 512
/** Refused in the query string unless the policy names it as its `query` parameter. */
export const DEFAULT_QUERY_PARAM = 'api_key'

/** The request's API key, or undefined when it has none; throws a 401 when it is refused unread. */
export function presentedKey(c: Context<GatewayEnv>, o: ApiKeyOptions): string | undefined {
  const found: string[] = []
  const header = c.req.header(o.header)
  if (header !== undefined) found.push(header.trim())
  if (o.authorization) {
    const authorization = c.req.header('authorization')
    if (authorization !== undefined && SCHEME.test(authorization)) found.push(authorization.replace(SCHEME, '').trim())
  }
  if (o.query !== undefined) {
    const fromQuery = c.req.query(o.query)
    if (fromQuery !== undefined) found.push(fromQuery)
  } else if (c.req.query(DEFAULT_QUERY_PARAM) !== undefined) {
    throw invalidKey('API keys in the query string are not accepted')
  }
  if (found.length > 1) throw invalidKey('more than one API key in the request')
  const key = found[0]
  if (key === undefined) return undefined
  if (key.length > MAX_KEY_LENGTH) throw invalidKey(`API key longer than ${MAX_KEY_LENGTH} characters`)
  if (!KEY.test(key)) throw invalidKey('malformed API key')
  return key
}
