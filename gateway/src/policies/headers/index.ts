import { z } from 'zod'
import type { MutableFields } from '../../../../internal/shell/field-list.ts'
import { definePolicy } from '../types.ts'

const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid header name')
const HeaderValue = z.string().regex(/^[^\r\n\0]*$/, 'header values cannot contain CR, LF or NUL')
const HeaderEdits = z
  .object({
    set: z.record(HeaderName, HeaderValue).optional().describe('Headers to set, replacing any existing value'),
    add: z.record(HeaderName, HeaderValue).optional().describe('Headers to append'),
    remove: z.array(HeaderName).optional().describe('Headers to remove'),
  })
  .strict()

export const HeadersOptions = z
  .object({
    request: HeaderEdits.optional().describe('Edits to the request sent upstream'),
    response: HeaderEdits.optional().describe('Edits to the response sent to the client'),
  })
  .strict()
export type HeadersOptions = z.output<typeof HeadersOptions>
type Edits = z.output<typeof HeaderEdits>

function apply(headers: MutableFields, edits: Edits): void {
  for (const name of edits.remove ?? []) headers.delete(name)
  for (const [name, value] of Object.entries(edits.set ?? {})) headers.set(name, value)
  for (const [name, value] of Object.entries(edits.add ?? {})) headers.append(name, value)
}

/** Sets, appends or removes request and response headers. */
export const headers = definePolicy({
  type: 'headers',
  description: 'Set, add or remove request and response headers',
  options: HeadersOptions,
  create({ request, response }) {
    return async function headers(c, next) {
      if (request) apply(c.get('upstreamHeaders'), request)
      await next()
      if (response) {
        // A proxied Response has immutable headers: re-wrap once before editing.
        c.res = new Response(c.res.body, c.res)
        apply(c.res.headers, response)
      }
    }
  },
})
