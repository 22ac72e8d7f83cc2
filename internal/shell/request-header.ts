import type { ConnInfo } from './env.ts'

/** Any node's context, as far as reading a request header goes. */
interface HeaderContext {
  readonly env: ConnInfo | undefined
  readonly req: { header(name: string): string | undefined }
}

/**
 * A request header field as `Headers.get` gives it (repeats joined with `, `), `name` in lower
 * case. Read from the adapter's raw fields when it has them (Node's `rawHeaders`, already parsed
 * and trimmed by its HTTP parser): a scan of a few strings instead of @hono/node-server's
 * validating lookup, for the few fields the shell and the gateway read on every request.
 */
export function requestHeader(c: HeaderContext, name: string): string | undefined {
  const raw = c.env?.rawHeaders
  if (raw === undefined) return c.req.header(name)
  let value: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const field = raw[i]!
    if (field.length === name.length && (field === name || field.toLowerCase() === name)) {
      value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`
    }
  }
  return value
}
