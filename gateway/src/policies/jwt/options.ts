import { z } from 'zod'
import { durationSchema } from '../../bundle/duration.ts'

/** Asymmetric algorithms a JWKS may serve; `none` is never among them. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const
export const DEFAULT_ALGORITHMS: readonly string[] = ['RS256', 'ES256', 'EdDSA', 'PS256']

const Algorithm = z.enum([...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS])
const OneOrMore = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])
const ClaimName = z.string().min(1)
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid header name')
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

const JwksUrl = z
  .url({ protocol: /^https?$/ })
  .refine((u) => u.startsWith('https:') || LOOPBACK.has(new URL(u).hostname), 'must be https (http only on loopback)')
export const Jwk = z
  .looseObject({ kty: z.string().min(1), kid: z.string().optional() })
  .refine((k) => !('d' in k) && k.kty !== 'oct', 'only public keys belong in a JWKS (no "d", no kty "oct")')

const Jwks = z
  .object({
    url: JwksUrl.optional().describe('JWKS endpoint of the identity provider; fetched at start and on an unknown "kid"'),
    keys: z.array(Jwk).min(1).optional().describe('Inline public keys (a JWKS "keys" array)'),
    file: z
      .string()
      .min(1)
      .optional()
      .describe('A local JWKS file ({"keys": [...]}, public keys only), read when the bundle loads; a relative path is relative to the directory of the policy file'),
    cooldown: durationSchema(3_600_000).prefault('30s').describe('Minimum time between refetches triggered by an unknown "kid"'),
    cacheMaxAge: durationSchema(86_400_000).prefault('10m').describe('Refetch the JWKS when the cached copy is older than this'),
    timeout: durationSchema(60_000).prefault('5s').describe('Timeout of one JWKS fetch'),
  })
  .strict()
  .refine((j) => j.url !== undefined || j.keys !== undefined || j.file !== undefined, 'give "url", "keys" or "file" (or several)')

const Claims = z
  .object({
    subject: ClaimName.default('sub').describe('Claim holding the subject'),
    tenant: ClaimName.optional().describe('Claim holding the tenant'),
    scopes: ClaimName.default('scope').describe('Claim holding scopes (space-separated string or list)'),
    roles: ClaimName.optional().describe('Claim holding roles (string or list)'),
  })
  .strict()

export const JwtOptions = z
  .object({
    issuer: OneOrMore.describe('Accepted "iss" value(s)'),
    audience: OneOrMore.describe('Accepted "aud" value(s); the token must name at least one'),
    jwks: Jwks.optional().describe('Where the verification keys come from (required unless "secret" is given)'),
    secret: z.string().min(32).optional().describe('Shared HMAC secret (at least 32 characters); the policy then accepts HS256/384/512 only'),
    algorithms: z
      .array(Algorithm)
      .min(1)
      .optional()
      .describe('Allowed "alg" values; default RS256, ES256, EdDSA, PS256 (HS256, HS384, HS512 with "secret")'),
    clockSkew: durationSchema(300_000).prefault('30s').describe('Tolerance for exp, nbf and iat'),
    maxAge: durationSchema(31_536_000_000)
      .optional()
      .describe('Refuse tokens issued ("iat", then required) longer ago than this; a future "iat" is always refused'),
    maxTokenBytes: z.number().int().min(256).max(65_536).default(8192).describe('Longest token accepted, in bytes'),
    allowQueryToken: z.boolean().default(false).describe('Also accept ?access_token= (discouraged: URLs get logged)'),
    claims: Claims.prefault({}).describe('Claim names that make up the principal'),
    forward: z
      .record(ClaimName, HeaderName)
      .default({})
      .describe('Claims sent upstream as headers (claim -> header); incoming copies of these headers are removed'),
    required: z.boolean().default(true).describe('false: a request without a token passes without a principal (a bad token is still refused)'),
    cache: z
      .object({
        maxEntries: z.number().int().min(0).max(1_000_000).default(1000).describe('Verified tokens remembered (0 = verify every request)'),
        ttl: durationSchema(3_600_000).prefault('30s').describe('Longest a verified token is reused without verifying it again (never past its exp)'),
      })
      .strict()
      .prefault({})
      .describe('Reuse of verified tokens: skips signature verification for a token seen recently; a refetched key set clears it'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.jwks === undefined) === (o.secret === undefined))
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'give exactly one of "jwks" and "secret"' })
    const hmac = (o.algorithms ?? []).filter((a) => a.startsWith('HS'))
    if (o.secret === undefined && hmac.length > 0)
      ctx.addIssue({ code: 'custom', path: ['algorithms'], message: `HS* algorithms (${hmac.join(', ')}) need "secret"; they are never verified against a JWKS` })
    if (o.secret !== undefined && o.algorithms !== undefined && hmac.length !== o.algorithms.length)
      ctx.addIssue({ code: 'custom', path: ['algorithms'], message: 'with "secret" only HS256, HS384 and HS512 are allowed' })
  })
export type JwtOptions = z.output<typeof JwtOptions>
