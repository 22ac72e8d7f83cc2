import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { GatewayError } from '../../../internal/shell/errors.ts'
import { renderForCaller } from '../../../internal/shell/rpc-errors.ts'
import type { GatewayEnv, GatewayMiddleware } from '../env.ts'
import { createChain } from '../routing/chain.ts'
import { passthroughCors } from './cors.ts'
import type { PassthroughCorsOptions } from './cors.ts'

const PATH = '/gatehouse.metadata.v1.MetadataService/GetRecord'

/** passthroughCors in front of `terminal` in a real route chain, errors rendered by the shell's renderer. */
function corsApp(terminal: GatewayMiddleware, options?: PassthroughCorsOptions) {
  const app = new Hono<GatewayEnv>()
  app.all(PATH, createChain([passthroughCors(options), terminal], (err, c) => renderForCaller(err, c.req.raw, 'req-1')))
  return app
}
const ok: GatewayMiddleware = async () => new Response('ok', { headers: { 'content-type': 'application/grpc-web+proto' } })
const preflight = (headers: Record<string, string>) =>
  new Request(`http://gw.test${PATH}`, { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST', ...headers } })

describe('passthroughCors', () => {
  it('answers a preflight itself: the origin echoed, methods, protocol headers plus the safe ones asked for, max-age', async () => {
    let reached = false
    const app = corsApp(async () => {
      reached = true
      return new Response()
    })
    const res = await app.request(preflight({ origin: 'https://app.test', 'access-control-request-headers': 'content-type,x-grpc-web, X-Tenant, cookie, x-forwarded-for, bad header' }))
    expect(reached).toBe(false)
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.test')
    expect(res.headers.get('access-control-allow-methods')).toBe('POST, GET')
    expect(res.headers.get('access-control-max-age')).toBe('7200')
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
    const allowed = res.headers.get('access-control-allow-headers')?.split(', ') ?? []
    expect(allowed).toEqual(expect.arrayContaining(['connect-protocol-version', 'connect-timeout-ms', 'grpc-timeout', 'x-user-agent', 'authorization', 'traceparent', 'x-tenant']))
    expect(allowed).not.toContain('cookie')
    expect(allowed).not.toContain('x-forwarded-for')
    expect(allowed).not.toContain('bad header')
  })

  it('exposes the gRPC and Connect headers on every response, errors of later policies included', async () => {
    const res = await corsApp(async () => {
      throw new GatewayError('UNAUTHENTICATED', 'missing bearer token', { headers: { 'www-authenticate': 'Bearer' } })
    }).request(PATH, { method: 'POST', headers: { origin: 'https://app.test', 'content-type': 'application/grpc-web+proto' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('grpc-status')).toBe('16')
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.test')
    expect(res.headers.get('access-control-expose-headers')).toMatch(/(^|, )grpc-status, grpc-message, grpc-status-details-bin(, |$)/)
    expect(res.headers.get('vary')).toBe('Origin')
  })

  it('keeps an upstream Vary, and adds nothing but Vary for a caller without Origin', async () => {
    const res = await corsApp(async () => new Response('x', { headers: { vary: 'Accept-Encoding' } })).request(PATH, { method: 'POST' })
    expect(res.headers.get('vary')).toBe('Accept-Encoding, Origin')
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('with an allow-list, lets only those origins (and subdomains of a wildcard) in; credentials only with one', async () => {
    const app = corsApp(ok, { origins: ['https://app.test', 'https://*.corp.test'], credentials: true })
    const yes = await app.request(preflight({ origin: 'https://a.corp.test' }))
    expect(yes.status).toBe(204)
    expect(yes.headers.get('access-control-allow-credentials')).toBe('true')
    for (const origin of ['https://evil.test', 'https://corp.test', 'http://app.test', 'null']) {
      expect((await app.request(preflight({ origin }))).status, origin).toBe(403)
      const res = await app.request(PATH, { method: 'POST', headers: { origin } })
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull()
    }
    expect(() => passthroughCors({ credentials: true })).toThrow(TypeError)
    expect(() => passthroughCors({ origins: ['https://a.test/path'] })).toThrow(TypeError)
  })

  it('leaves an OPTIONS that is not a preflight to the route', async () => {
    const res = await corsApp(async () => new Response('upstream options')).request(PATH, { method: 'OPTIONS', headers: { origin: 'https://app.test' } })
    expect(await res.text()).toBe('upstream options')
  })
})
