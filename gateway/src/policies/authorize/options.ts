import { z } from 'zod'

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** `method`, `path`, `header:<name>` or `param:<name>`. */
const REQUEST_FIELD = /^(method|path|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|param:[^\s]+)$/
const OPERATORS = ['equals', 'in', 'prefix'] as const
const SUBJECTS = ['claim', 'request'] as const

const Name = z.string().min(1, 'must not be empty')
const Names = z.array(Name).min(1, 'list at least one value')

const AllOrAny = (what: string) =>
  z
    .object({
      all: Names.optional().describe(`Every one of these ${what} is required`),
      any: Names.optional().describe(`At least one of these ${what} is required`),
    })
    .strict()
    .refine((o) => o.all !== undefined || o.any !== undefined, `give "all" or "any" (or both)`)

const Tenant = z
  .object({
    from: z.enum(['param', 'header']).describe('Where the request names its tenant: a path parameter or a header'),
    name: Name.describe('The path parameter or header name'),
  })
  .strict()
  .refine((t) => t.from !== 'header' || TOKEN.test(t.name), { message: 'not a valid header name', path: ['name'] })

const Rule = z
  .object({
    claim: z
      .string()
      .regex(/^[^.]+(\.[^.]+)*$/, 'a claim name or dotted path (a.b.c) without empty parts')
      .optional()
      .describe('A claim of the principal, by name or dotted path (realm_access.role)'),
    request: z
      .string()
      .regex(REQUEST_FIELD, 'expected "method", "path", "header:<name>" or "param:<name>"')
      .optional()
      .describe('A request field: "method", "path" (decoded), "header:<name>" or "param:<name>"'),
    equals: z.string().optional().describe('The value must be exactly this'),
    in: Names.optional().describe('The value must be exactly one of these'),
    prefix: Name.optional().describe('The value must start with this'),
  })
  .strict()
  .superRefine((r, ctx) => {
    const subjects = SUBJECTS.filter((k) => r[k] !== undefined)
    if (subjects.length !== 1)
      ctx.addIssue({ code: 'custom', message: `a rule needs exactly one of "claim" and "request" (got ${subjects.length})` })
    const operators = OPERATORS.filter((k) => r[k] !== undefined)
    if (operators.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `a rule needs exactly one of "equals", "in" and "prefix" (got ${operators.length === 0 ? 'none' : operators.join(', ')})`,
      })
    if (r.request === 'method' && [r.equals, ...(r.in ?? []), r.prefix].some((v) => v !== undefined && !/^[A-Z]+$/.test(v)))
      ctx.addIssue({ code: 'custom', message: 'methods are upper case (GET, POST, ...)' })
  })

export const AuthorizeOptions = z
  .object({
    scopes: AllOrAny('scopes').optional().describe('Scopes the principal must hold'),
    roles: AllOrAny('roles').optional().describe('Roles the principal must hold'),
    tenant: Tenant.optional().describe("Tenant isolation: the request's tenant must equal the principal's, exactly"),
    rules: z
      .array(Rule)
      .min(1, 'list at least one rule')
      .optional()
      .describe('Attribute rules over claims and request fields; every rule must hold'),
    anonymous: z
      .boolean()
      .default(false)
      .describe('true: a request without a principal passes (only request rules may then be given)'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (!o.anonymous) return
    const needy = [o.scopes && 'scopes', o.roles && 'roles', o.tenant && 'tenant', o.rules?.some((r) => r.claim !== undefined) && 'claim rules']
    const named = needy.filter((n): n is string => typeof n === 'string')
    if (named.length > 0)
      ctx.addIssue({ code: 'custom', path: ['anonymous'], message: `"anonymous: true" cannot be combined with ${named.join(', ')}: they need a principal` })
  })
export type AuthorizeOptions = z.output<typeof AuthorizeOptions>
export type AuthorizeRule = NonNullable<AuthorizeOptions['rules']>[number]
