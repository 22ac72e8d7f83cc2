import { z } from 'zod'

/** Anomaly score added by one matching rule, by severity (the OWASP CRS values). */
export const SEVERITY_SCORE = { critical: 5, error: 4, warning: 3, notice: 2 } as const
export type Severity = keyof typeof SEVERITY_SCORE

/** Normalisations a rule can ask for, applied in the order the rule lists them (see transforms.ts). */
export const TRANSFORMS = [
  'urlDecode',
  'htmlEntityDecode',
  'jsDecode',
  'unicodeNormalize',
  'lowercase',
  'removeComments',
  'compressWhitespace',
  'removeWhitespace',
  'normalizePath',
  'cmdLine',
] as const
export type TransformName = (typeof TRANSFORMS)[number]

/**
 * Where values come from. A rule's target is one of these collections, or one value's name
 * (`headers.user-agent`, `args.id`, `body.description`).
 */
export const COLLECTIONS = [
  'method',
  'path',
  'args',
  'args_names',
  'body',
  'body_names',
  'files',
  'headers',
  'header_names',
  'cookies',
  'cookie_names',
] as const
export type Collection = (typeof COLLECTIONS)[number]

/** Protocol checks computed in code (protocol-checks.ts) rather than matched with a pattern. */
export const CHECKS = [
  'method-not-allowed',
  'host-missing',
  'content-length-with-transfer-encoding',
  'transfer-encoding-invalid',
  'content-length-invalid',
  'too-many-headers',
  'header-too-large',
] as const
export type CheckName = (typeof CHECKS)[number]

const TargetSelector = z
  .string()
  .refine(
    (t) => (COLLECTIONS as readonly string[]).includes(t) || /^(?:args|body|files|headers|cookies)\.[^\s]+$/.test(t),
    `a collection (${COLLECTIONS.join(', ')}) or a value name such as headers.user-agent or body.description`,
  )

export const RuleId = z.number().int().min(1).max(999_999)

/** A regex source that compiles (with the `i` flag, as the engine uses it). */
const Pattern = z
  .string()
  .min(1)
  .max(4000)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source, 'i')
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `pattern does not compile: ${(err as Error).message}` })
    }
  })

/** One rule as written in rules/*.yaml or inline in a `waf` policy entry (`rules:`). */
export const RuleSpec = z
  .object({
    id: RuleId.describe('Unique rule id (base rules use the CRS ranges: 920 protocol, 930 lfi, 932 rce, 942 sqli, ...)'),
    family: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/).describe('Rule family, the `rule_family` metric label (sqli, xss, ...)'),
    severity: z.enum(['critical', 'error', 'warning', 'notice']).describe('Anomaly score: critical 5, error 4, warning 3, notice 2'),
    paranoia: z.number().int().min(1).max(4).describe('Lowest paranoia level that runs this rule'),
    message: z.string().min(1).max(200).describe('What a match means (logged, never sent to the client)'),
    targets: z.array(TargetSelector).min(1).describe('Collections or value names the rule inspects'),
    transforms: z.array(z.enum(TRANSFORMS)).describe('Normalisations applied before matching, in order'),
    pattern: Pattern.optional().describe('Regular expression (case-insensitive); must run in linear time'),
    keywords: z
      .array(z.string().min(1).regex(/^[^A-Z]*$/, 'keywords are lower case'))
      .min(1)
      .optional()
      .describe('Pre-filter: the pattern only runs when the normalised value contains one of these'),
    check: z.enum(CHECKS).optional().describe('A protocol check computed in code instead of a pattern'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.pattern === undefined) === (r.check === undefined))
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'give exactly one of "pattern" and "check"' })
    const lettered = r.keywords?.some((k) => /[a-z]/.test(k)) ?? false
    if (lettered && !r.transforms.includes('lowercase') && !r.transforms.includes('cmdLine'))
      ctx.addIssue({ code: 'custom', path: ['keywords'], message: 'keywords with letters need the "lowercase" (or "cmdLine") transform' })
  })
export type RuleSpec = z.output<typeof RuleSpec>
