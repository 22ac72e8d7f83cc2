import { z } from 'zod'
import { BASE_RULE_IDS } from './base-rules.ts'
import { RuleId, RuleSpec } from './rule-spec.ts'

const DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

const Exclusion = z
  .object({
    rule: RuleId.optional().describe('Rule id; without it, the target is not inspected by any rule'),
    target: z
      .string()
      .min(1)
      .optional()
      .describe('Value name (args.q, body.description, headers.referer, cookies.session, path); * matches any characters'),
  })
  .strict()
  .refine((e) => e.rule !== undefined || e.target !== undefined, 'give "rule", "target" or both')

export const WafOptions = z
  .object({
    mode: z.enum(['block', 'detect']).default('block').describe('block: refuse at the threshold (403); detect: log and pass'),
    paranoia: z.number().int().min(1).max(4).default(1).describe('Paranoia level 1-4: rules up to this level run'),
    threshold: z.number().int().min(1).max(1000).default(5).describe('Inbound anomaly score at which a request is refused'),
    inspectBodyBytes: z
      .number()
      .int()
      .min(0)
      .max(16 * 1024 * 1024)
      .default(64 * 1024)
      .describe('Bytes of a request body inspected; the body is still streamed upstream in full'),
    oversizedBody: z
      .enum(['inspect-prefix', 'block'])
      .default('inspect-prefix')
      .describe('A body longer than inspectBodyBytes: inspect its first bytes, or refuse it (413)'),
    allowedMethods: z
      .array(z.string().regex(/^[A-Z]+$/, 'an upper-case method name'))
      .min(1)
      .default(DEFAULT_METHODS)
      .describe('Methods accepted by rule 920100 (TRACE, TRACK, DEBUG are never in the default)'),
    maxHeaders: z.number().int().min(1).max(1000).default(100).describe('Most request header fields (rule 920380)'),
    maxHeaderBytes: z.number().int().min(64).max(65_536).default(8192).describe('Longest single header, name and value (rule 920390)'),
    disable: z.array(RuleId).default([]).describe('Rule ids that do not run'),
    exclude: z.array(Exclusion).default([]).describe('Rules that do not run on some values (false positives)'),
    rules: z.array(RuleSpec).default([]).describe('Extra rules for this instance (same format as the base rules)'),
  })
  .strict()
  .superRefine((o, ctx) => {
    const extra = new Set<number>()
    o.rules.forEach((r, i) => {
      if (BASE_RULE_IDS.has(r.id) || extra.has(r.id))
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `rule id ${r.id} is already taken` })
      extra.add(r.id)
    })
    const known = (id: number) => BASE_RULE_IDS.has(id) || extra.has(id)
    o.disable.forEach((id, i) => {
      if (!known(id)) ctx.addIssue({ code: 'custom', path: ['disable', i], message: `no rule ${id}` })
    })
    o.exclude.forEach((e, i) => {
      if (e.rule !== undefined && !known(e.rule)) ctx.addIssue({ code: 'custom', path: ['exclude', i, 'rule'], message: `no rule ${e.rule}` })
    })
  })
export type WafOptions = z.output<typeof WafOptions>
