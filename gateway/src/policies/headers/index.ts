import { z } from 'zod'
import type { MutableFields } from '../../../../internal/shell/field-list.ts'
import { definePolicy, inboundPolicy } from '../types.ts'

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

/** The edits as lists, made once per policy instance rather than per request. */
function compile(edits: Edits) {
  return { remove: edits.remove ?? [], set: Object.entries(edits.set ?? {}), add: Object.entries(edits.add ?? {}) }
}

function apply(headers: MutableFields, edits: ReturnType<typeof compile>): void {
  for (const name of edits.remove) headers.delete(name)
  for (const [name, value] of edits.set) headers.set(name, value)
  for (const [name, value] of edits.add) headers.append(name, value)
}

/** Sets, appends or removes request and response headers. */
export const headers = definePolicy({
  type: 'headers',
  description: 'Set, add or remove request and response headers',
  options: HeadersOptions,
  create(options) {
    const request = options.request && compile(options.request)
    const response = options.response && compile(options.response)
    if (!response) {
      // Request edits only: nothing to do on the way back.
      return inboundPolicy(function requestHeaders(c) {
        if (request) apply(c.get('upstreamHeaders'), request)
      })
    }
    return async function headers(c, next) {
      if (request) apply(c.get('upstreamHeaders'), request)
      await next()
      // A proxied Response has immutable headers: re-wrap once before editing.
      c.res = new Response(c.res.body, c.res)
      apply(c.res.headers, response)
    }
  },
})
