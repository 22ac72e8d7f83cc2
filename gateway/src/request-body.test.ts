import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { GatewayEnv } from './env.ts'
import { dropQueryCredential } from './policies/jwt/query-credential.ts'
import { testInit } from './policies/testing.ts'
import { waf } from './policies/waf/index.ts'
import { replaceRequestBody, requestBodyOf, requestStreamOf } from './request-body.ts'

/** What the proxy would send upstream: URL and body. */
const upstreamView = async (c: Parameters<typeof requestBodyOf>[0]) => {
  const body = requestBodyOf(c)
  return c.json({ url: c.req.url, body: body === null ? null : await new Response(body as BodyInit).text() })
}

describe('request body handed upstream', () => {
  it("is the client's own unless a policy put one back; as a stream either way", async () => {
    const app = new Hono<GatewayEnv>()
    app.post('/own', upstreamView)
    app.post('/replaced', async (c) => {
      await c.req.raw.body?.cancel()
      replaceRequestBody(c, new TextEncoder().encode('put back'))
      expect(requestStreamOf(c)).toBeInstanceOf(ReadableStream)
      return upstreamView(c)
    })
    expect(await (await app.request('/own', { method: 'POST', body: 'as sent' })).json()).toMatchObject({ body: 'as sent' })
    expect(await (await app.request('/replaced', { method: 'POST', body: 'as sent' })).json()).toMatchObject({ body: 'put back' })
  })

  it('after the WAF read it, a later policy that rewrites the URL keeps the body, and the upstream gets it whole', async () => {
    const app = new Hono<GatewayEnv>()
    app.use('*', async (c, next) => {
      c.set('requestId', 'r')
      c.set('routeId', 'r')
      await next()
    })
    app.use('*', waf.create(waf.options.parse({ inspectBodyBytes: 16 }), testInit('waf')))
    app.use('*', async (c, next) => {
      dropQueryCredential(c, 'access_token')
      await next()
    })
    app.post('*', upstreamView)
    const long = `{"note":"${'a'.repeat(100)}"}` // longer than the inspected prefix: the rest still streams
    const res = await app.request('/items?access_token=t&x=1', { method: 'POST', body: long, headers: { host: 'localhost', 'content-type': 'application/json', 'content-length': String(long.length) } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ url: 'http://localhost/items?x=1', body: long })
  })
})
