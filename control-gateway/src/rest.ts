import { getOption, hasOption } from '@bufbuild/protobuf'
import type { DescMethod, DescService } from '@bufbuild/protobuf'
import type { Hono } from 'hono'
import type { ShellEnv } from '../../internal/shell/env.ts'
import { GatewayError } from '../../internal/shell/errors.ts'
import { http } from '../../proto/gen/google/api/annotations_pb.ts'

interface RestRoute {
  readonly method: DescMethod
  readonly verb: string
  readonly pattern: RegExp
  /** JSON names of the path variables, in order. */
  readonly variables: readonly string[]
  readonly body: boolean
}

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The unary methods' `google.api.http` rules as matchers (single-segment `{field}` variables, as ours use). */
function restRoutes(service: DescService): RestRoute[] {
  return service.methods
    .filter((m) => m.methodKind === 'unary' && hasOption(m, http))
    .map((method) => {
      const rule = getOption(method, http)
      const { case: verb, value } = rule.pattern
      if (verb === undefined || verb === 'custom' || typeof value !== 'string') throw new Error(`${method.name}: unsupported http rule`)
      const variables: string[] = []
      const source = value
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const variable = /^\{([a-z_]+)\}$/.exec(part)?.[1]
          if (part.startsWith('{') && !variable) throw new Error(`${method.name}: unsupported path variable ${part}`)
          if (!variable) return escape(part)
          variables.push(camel(variable))
          return '([^/]+?)'
        })
        .join('')
      return { method, verb: verb.toUpperCase(), pattern: new RegExp(`^${source}$`), variables, body: rule.body === '*' }
    })
}

/**
 * REST for a Connect service mounted on the same app, from its `google.api.http` rules: the
 * request becomes the method's proto3 JSON (path variables, query parameters, and the body for
 * `body: "*"`) and is sent to the Connect route in-process, so it passes the same guard, audit
 * and access log (a second line, with the same request id). Answers are Connect's: the JSON
 * message, or `{code, message, details}` with its HTTP status. Server streams stay Connect-only.
 */
export function mountRest<V extends object>(app: Hono<ShellEnv<V>>, service: DescService): void {
  const routes = restRoutes(service)
  const base = app as unknown as Hono<ShellEnv>
  base.use('/v1/*', async (c, next) => {
    const verb = c.req.method === 'HEAD' ? 'GET' : c.req.method
    let match: RegExpExecArray | null = null
    const route = routes.find((r) => r.verb === verb && (match = r.pattern.exec(c.req.path)) !== null)
    if (!route || !match) return next()
    c.set('routeId', `${service.typeName}/${route.method.name} (REST)`)
    const message: Record<string, unknown> = {}
    for (const [name, value] of new URL(c.req.url).searchParams) message[camel(name)] = value
    if (route.body) {
      const text = await c.req.text()
      let parsed: unknown = {}
      try {
        if (text.trim() !== '') parsed = JSON.parse(text)
      } catch {
        throw new GatewayError('INVALID_ARGUMENT', 'the body is not JSON')
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new GatewayError('INVALID_ARGUMENT', 'the body must be a JSON object')
      Object.assign(message, parsed)
    }
    route.variables.forEach((name, i) => (message[name] = decodeURIComponent((match as RegExpExecArray)[i + 1] ?? '')))
    const headers = new Headers({ 'content-type': 'application/json', 'x-request-id': c.var.requestId })
    const authorization = c.req.header('authorization')
    if (authorization !== undefined) headers.set('authorization', authorization)
    const inner = new Request(new URL(`/${service.typeName}/${route.method.name}`, c.req.url), { method: 'POST', headers, body: JSON.stringify(message) })
    return base.fetch(inner, c.env)
  })
}
