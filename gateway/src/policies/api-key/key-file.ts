import { parse } from 'yaml'
import { z } from 'zod'
import type { PolicyInit } from '../types.ts'

const Name = z.string().min(1)
const Timestamp = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'expected an ISO 8601 date or date-time (2027-01-31 or 2027-01-31T00:00:00Z)' })

const KeyEntry = z
  .object({
    id: Name.describe('Key id: shown in logs and the principal, never the key'),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, 'expected the 64 hex digits of the SHA-256 of the key (never the key itself)')
      .transform((h) => h.toLowerCase()),
    subject: Name,
    tenant: Name.optional(),
    scopes: z.array(Name).default([]),
    roles: z.array(Name).default([]),
    expires: Timestamp.optional(),
  })
  .strict()

const KeyFile = z.object({ keys: z.array(KeyEntry) }).strict()

/** One API key as the policy holds it: its identity and the digest of the secret. */
export interface ApiKeyEntry {
  readonly id: string
  /** Lower-case hex SHA-256 of the key. */
  readonly sha256: string
  readonly subject: string
  readonly tenant: string | undefined
  readonly scopes: readonly string[]
  readonly roles: readonly string[]
  /** Epoch milliseconds after which the key is refused; undefined = never. */
  readonly expiresAt: number | undefined
}

/**
 * Parses a secrets file's text (YAML, so JSON too) into entries, by digest. Duplicate ids or
 * digests are refused: each key must stand for exactly one identity.
 */
export function parseKeyFile(text: string): ReadonlyMap<string, ApiKeyEntry> {
  let document: unknown
  try {
    document = parse(text)
  } catch (err) {
    throw new Error(`not valid YAML (${(err as Error).message.split('\n')[0]})`)
  }
  const parsed = KeyFile.safeParse(document)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${issue?.path.length ? `at ${issue.path.join('.')}: ` : ''}${issue?.message ?? 'invalid'}`)
  }
  const byDigest = new Map<string, ApiKeyEntry>()
  const ids = new Set<string>()
  for (const [i, k] of parsed.data.keys.entries()) {
    if (ids.has(k.id)) throw new Error(`at keys.${i}.id: key id "${k.id}" appears twice`)
    if (byDigest.has(k.sha256)) throw new Error(`at keys.${i}.sha256: the same key hash as "${byDigest.get(k.sha256)?.id}"`)
    ids.add(k.id)
    byDigest.set(k.sha256, {
      id: k.id,
      sha256: k.sha256,
      subject: k.subject,
      tenant: k.tenant,
      scopes: Object.freeze(k.scopes),
      roles: Object.freeze(k.roles),
      expiresAt: k.expires === undefined ? undefined : Date.parse(k.expires),
    })
  }
  return byDigest
}

/** Reads and parses the policy's secrets file; any problem refuses the bundle, naming the file. */
export function readKeyFile(init: Pick<PolicyInit, 'name' | 'readFile'>, file: string): ReadonlyMap<string, ApiKeyEntry> {
  const { path, text } = init.readFile('API key file', file)
  try {
    return parseKeyFile(text)
  } catch (err) {
    throw new Error(`policy "${init.name}": API key file "${path}": ${(err as Error).message}`)
  }
}
