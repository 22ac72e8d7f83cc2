import { sha256Hex } from '../../bundle/hash.ts'
import type { Principal } from '../../principal.ts'
import { dropQueryCredential } from '../jwt/query-credential.ts'
import { definePolicy, inboundPolicy } from '../types.ts'
import { presentedKey } from './credential.ts'
import { readKeyFile } from './key-file.ts'
import type { ApiKeyEntry } from './key-file.ts'
import { ApiKeyOptions } from './options.ts'
import { invalidKey, missingKey } from './reject.ts'

export { ApiKeyOptions } from './options.ts'

/** The principal a key stands for: the same shape `jwt` sets, so `authorize` and `rate-limit` work after either. */
function toPrincipal(k: ApiKeyEntry): Principal {
  return Object.freeze({
    subject: k.subject,
    ...(k.tenant !== undefined ? { tenant: k.tenant } : {}),
    scopes: k.scopes,
    roles: k.roles,
    claims: Object.freeze({
      key_id: k.id,
      sub: k.subject,
      ...(k.tenant !== undefined ? { tenant: k.tenant } : {}),
      scope: k.scopes.join(' '),
      roles: k.roles,
    }),
  })
}

/**
 * Authenticates machine clients by API key. Keys are stored as SHA-256 digests in a secrets file
 * read when the bundle compiles; a presented key is hashed and looked up by digest. The key is
 * never forwarded upstream (its header is removed, an accepted query key taken out of the URL).
 */
export const apiKey = definePolicy({
  type: 'api-key',
  description: 'Authenticate machine clients by API key (SHA-256 digests in a secrets file) and set the principal',
  options: ApiKeyOptions,
  create(o, init) {
    const keys = readKeyFile(init, o.keysFile)
    const principals = new Map([...keys].map(([digest, entry]) => [digest, toPrincipal(entry)]))
    const expired = [...keys.values()].filter((k) => k.expiresAt !== undefined && k.expiresAt <= Date.now()).map((k) => k.id)
    init.log.info('api keys loaded', { policy: init.name, file: o.keysFile, keys: keys.size, ...(expired.length > 0 ? { expired } : {}) })

    return inboundPolicy(async function apiKey(c) {
      const upstream = c.get('upstreamHeaders')
      upstream.delete(o.header)
      if (o.authorization && /^apikey\s/i.test(upstream.get('authorization') ?? '')) upstream.delete('authorization')
      const key = presentedKey(c, o)
      if (key === undefined) {
        if (o.required) throw missingKey()
        return
      }
      const digest = await sha256Hex(key)
      const entry = keys.get(digest)
      if (entry === undefined) throw invalidKey('invalid API key')
      if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) throw invalidKey('API key expired')
      c.set('principal', principals.get(digest))
      if (o.query !== undefined) dropQueryCredential(c, o.query)
    })
  },
})
