import { z } from 'zod'

const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid header name')

export const ApiKeyOptions = z
  .object({
    keysFile: z
      .string()
      .min(1)
      .describe('The secrets file of hashed keys (YAML or JSON, see the api-key README); read when the bundle loads; a relative path is relative to the directory of the policy file'),
    header: HeaderName.default('x-api-key').describe('Header that carries the key'),
    authorization: z.boolean().default(true).describe('Also accept "Authorization: ApiKey <key>"'),
    query: z
      .string()
      .min(1)
      .optional()
      .describe('Also accept the key from this query parameter (discouraged: URLs get logged); it is taken out of the URL sent upstream'),
    required: z.boolean().default(true).describe('false: a request without a key passes without a principal (a bad key is still refused)'),
  })
  .strict()
export type ApiKeyOptions = z.output<typeof ApiKeyOptions>
