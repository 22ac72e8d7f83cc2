/** Helpers for the waf tests (imported only by *.test.ts). */
import { Hono } from 'hono'
import { renderProblem } from '../../../../internal/shell/errors.ts'
import type { GatewayEnv } from '../../env.ts'
import { testInit } from '../testing.ts'
import { waf } from './index.ts'
import { requestBodyOf } from '../../request-body.ts'

/**
 * One waf instance in front of a stand-in upstream that answers with what it received: method,
 * URL and the body bytes (as text), read from `c.req.raw` as the real proxy does.
 */
export function wafApp(options: Record<string, unknown> = {}) {
  const init = testInit('waf')
  const app = new Hono<GatewayEnv>()
  app.onError((err, c) => renderProblem(err, c.var.requestId))
  app.use('*', async (c, next) => {
    c.set('requestId', 'req-1')
    c.set('routeId', 'test-route')
    await next()
  })
  app.use('*', waf.create(waf.options.parse(options), init))
  app.all('*', async (c) => {
    // What the proxy would send upstream (request-body.ts).
    const upstream = requestBodyOf(c)
    const body = upstream === null ? '' : await new Response(upstream as BodyInit).text()
    return c.json({ method: c.req.method, url: c.req.url, body })
  })
  return { app, lines: init.lines, metrics: init.metrics }
}

/** A request to the test app; `host` is set unless the headers say otherwise (null removes it). */
export interface TestRequest {
  method?: string
  path: string
  headers?: Record<string, string | null>
  body?: string
}

export function toRequest(r: TestRequest): Request {
  const headers = new Headers({ host: 'api.example.com' })
  for (const [k, v] of Object.entries(r.headers ?? {})) {
    if (v === null) headers.delete(k)
    else headers.set(k, v)
  }
  const method = r.method ?? (r.body !== undefined ? 'POST' : 'GET')
  return new Request(`http://api.example.com${r.path}`, { method, headers, body: r.body ?? null })
}
