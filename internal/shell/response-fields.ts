/**
 * Headers the shell puts on every response: the correlation headers, plus whatever middleware
 * sets on the queue (`queuedResponseFields`, e.g. rate-limit fields). Queued fields win over the handler's.
 *
 * Why queue instead of editing `c.res.headers` after `next()`: on Node, reading `.headers` of a
 * response built from a plain record turns that record into WHATWG `Headers`, and writing them
 * out iterates (and sorts) them again; for a proxied request that was a large part of its cost.
 * A handler that builds its response from a plain record (the gateway's forwarder) calls
 * `respondWithFields`, which merges the queue into the record once; any other response gets the
 * queue set on its `Headers` by the shell (`applyResponseFields`).
 */

/** Any node's context: only the shell's `responseFields` variable (and the response) are used. */
interface FieldsContext {
  get(key: 'responseFields'): Record<string, string>
  get(key: 'fieldsWritten'): Response | undefined
  set(key: 'fieldsWritten', value: Response): void
}
interface ResponseContext extends FieldsContext {
  res: Response
}

/**
 * The queue of response fields: a middleware sets its fields on it (lower-case names; a set name
 * replaces a queued one), directly rather than through a record of its own copied in, which cost
 * a measurable share of a cheap policy.
 */
export function queuedResponseFields(c: FieldsContext): Record<string, string> {
  return c.get('responseFields')
}

/** A response with `fields` plus the queued fields; the shell leaves its headers alone afterwards. */
export function respondWithFields(
  c: FieldsContext,
  body: BodyInit | null,
  status: number,
  fields: Record<string, string | string[]>,
): Response {
  Object.assign(fields, c.get('responseFields'))
  const res = new Response(body, { status, headers: fields as Record<string, string> })
  c.set('fieldsWritten', res)
  return res
}

/**
 * Puts the queued fields on `c.res` unless it was built by `respondWithFields` (and is still that
 * response). An immutable response (a raw fetch Response) is copied once.
 */
export function applyResponseFields(c: ResponseContext): void {
  let res = c.res
  if (c.get('fieldsWritten') === res) return
  const fields = c.get('responseFields')
  let headers = res.headers
  for (const name in fields) {
    try {
      headers.set(name, fields[name]!)
    } catch {
      c.res = new Response(res.body, res)
      res = c.res // hono's setter keeps its own copy: edit that one
      headers = res.headers
      headers.set(name, fields[name]!)
    }
  }
}
