import { z } from 'zod'

const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid header name')
/** A SPIFFE trust domain: lower-case letters, digits, `.`, `-`, `_` (SPIFFE ID spec §2.1). */
const TrustDomain = z.string().regex(/^[a-z0-9._-]+$/, 'not a SPIFFE trust domain (lower-case letters, digits, ".", "-", "_")')
const Segment = z.string().regex(/^[A-Za-z0-9._-]+$/, 'not a SPIFFE path segment (letters, digits, ".", "-", "_")')

export const MtlsOptions = z
  .object({
    mode: z
      .enum(['required', 'optional'])
      .default('required')
      .describe('required: no valid client certificate, 401; optional: a request without one passes without a principal (a bad one is still refused)'),
    identity: z
      .enum(['spiffe-or-cn', 'spiffe', 'cn'])
      .default('spiffe-or-cn')
      .describe("Where the subject comes from: the certificate's SAN URI spiffe://... (preferred), or its subject CN"),
    trustDomains: z
      .array(TrustDomain)
      .min(1)
      .optional()
      .describe('Accepted SPIFFE trust domains; when given, only a SPIFFE ID from one of them is an identity'),
    tenantAfter: Segment.optional().describe(
      'The SPIFFE path segment after this one is the tenant ("ns": spiffe://example.org/ns/acme/sa/api -> tenant "acme")',
    ),
    forward: z
      .object({
        subject: HeaderName.optional().describe('Header carrying the subject upstream'),
        tenant: HeaderName.optional().describe('Header carrying the tenant upstream'),
        fingerprint: HeaderName.optional().describe("Header carrying the certificate's SHA-256 fingerprint upstream"),
      })
      .strict()
      .default({})
      .describe('Identity sent upstream as headers; incoming copies of these headers are always removed'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.identity === 'cn' && (o.trustDomains !== undefined || o.tenantAfter !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['identity'], message: '"trustDomains" and "tenantAfter" need a SPIFFE identity, not "cn"' })
    }
  })
export type MtlsOptions = z.output<typeof MtlsOptions>
