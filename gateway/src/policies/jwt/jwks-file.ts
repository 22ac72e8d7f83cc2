import { z } from 'zod'
import type { JWK } from 'jose'
import { Jwk } from './options.ts'
import type { PolicyInit } from '../types.ts'

const JwksDocument = z.object({ keys: z.array(Jwk).min(1) })

/**
 * The public keys of a local JWKS file, read and checked once per bundle compile (a reload with a
 * changed bundle reads it again). Anything wrong with it refuses the bundle, naming the file.
 */
export function readJwksFile(init: Pick<PolicyInit, 'name' | 'readFile'>, file: string): JWK[] {
  const policy = init.name
  const { path, text } = init.readFile('JWKS file', file)
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch {
    throw new Error(`policy "${policy}": JWKS file "${path}" is not valid JSON`)
  }
  const parsed = JwksDocument.safeParse(document)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const at = issue?.path.length ? ` at ${issue.path.join('.')}` : ''
    throw new Error(`policy "${policy}": JWKS file "${path}"${at}: ${issue?.message ?? 'invalid'} (expected {"keys": [public JWKs]})`)
  }
  return parsed.data.keys as JWK[]
}
