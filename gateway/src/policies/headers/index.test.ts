import { testInit } from '../testing.ts'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { GatewayEnv } from '../../env.ts'
import { headers } from './index.ts'

/**
 * One policy instance in front of a stand-in upstream that echoes the headers it would be sent
 * (`c.var.upstreamHeaders`) and answers with `upstreamResponse()`.
 */
function policyApp(options: unknown, upstreamResponse: () => Response = () => new Response('ok', { headers: { 'x-internal': 'node-7', vary: 'accept' } })) {
  const app = new Hono<GatewayEnv>()
  const sent: Headers[] = []
  app.use('*', async (c, next) => {
    c.set('upstreamHeaders', new Headers(c.req.raw.headers))
    await next()
  })
  app.use('*', headers.create(headers.options.parse(options), testInit('h')))
  app.get('*', (c) => {
    sent.push(new Headers([...c.var.upstreamHeaders]))
    return upstreamResponse()
  })
  return { app, sent }
}

describe('headers options', () => {
  const accepts = (options: unknown) => headers.options.safeParse(options).success

  it('accepts set, add and remove on request and response', () => {
    expect(accepts({ request: { set: { 'x-a': '1' }, add: { 'x-b': '2' }, remove: ['cookie'] }, response: { remove: ['server'] } })).toBe(true)
    expect(accepts({})).toBe(true)
  })

  it.each([
    ['an unknown top-level key', { requests: { set: {} } }],
    ['an unknown edit', { request: { rename: { a: 'b' } } }],
    ['a header name with a space', { request: { set: { 'x a': '1' } } }],
    ['a header name with a colon', { response: { add: { 'x-a:': '1' } } }],
    ['an empty header name to remove', { response: { remove: [''] } }],
    ['a non-string value', { request: { set: { 'x-a': 1 } } }],
    ['remove as a string', { request: { remove: 'cookie' } }],
  ])('rejects %s', (_, options) => {
    expect(accepts(options)).toBe(false)
  })

  // Bug: headers/index.ts takes any string as a value (`z.string()`), but Headers refuses values
  // with NUL, CR or LF. Such a bundle loads, then every request on its routes fails with a
  // TypeError at `headers.set()` (500 INTERNAL) instead of the bundle being refused at load.
  it('rejects a header value that cannot be sent (CR/LF/NUL)', () => {
    expect(accepts({ request: { set: { 'x-a': 'one\ntwo' } } })).toBe(false)
    expect(accepts({ response: { add: { 'x-a': 'a\r\nset-cookie: x=1' } } })).toBe(false)
  })
})

describe('headers on the request sent upstream', () => {
  it('sets, appends and removes headers, leaving the others', async () => {
    const { app, sent } = policyApp({ request: { set: { 'x-tenant': 'acme' }, add: { 'x-tag': 'edge' }, remove: ['cookie'] } })
    await app.request('/', { headers: { 'x-tenant': 'spoofed', 'x-tag': 'client', cookie: 'a=1', accept: 'text/plain' } })
    const [upstream] = sent
    expect(upstream?.get('x-tenant')).toBe('acme')
    expect(upstream?.get('x-tag')).toBe('client, edge')
    expect(upstream?.has('cookie')).toBe(false)
    expect(upstream?.get('accept')).toBe('text/plain')
  })

  it('removes first, then sets, then adds', async () => {
    const { app, sent } = policyApp({ request: { remove: ['x-a'], set: { 'x-a': 'set' }, add: { 'x-a': 'added' } } })
    await app.request('/', { headers: { 'x-a': 'client' } })
    expect(sent[0]?.get('x-a')).toBe('set, added')
  })

  it('matches header names case-insensitively', async () => {
    const { app, sent } = policyApp({ request: { set: { 'X-Tenant': 'acme' }, remove: ['Cookie'] } })
    await app.request('/', { headers: { 'x-tenant': 'other', cookie: 'a=1' } })
    expect(sent[0]?.get('x-tenant')).toBe('acme')
    expect(sent[0]?.has('cookie')).toBe(false)
  })

  it('does not touch the incoming request', async () => {
    const app = new Hono<GatewayEnv>()
    app.use('*', async (c, next) => {
      c.set('upstreamHeaders', new Headers(c.req.raw.headers))
      await next()
    })
    app.use('*', headers.create(headers.options.parse({ request: { remove: ['cookie'] } }), testInit('h')))
    app.get('*', (c) => c.text(c.req.header('cookie') ?? 'none'))
    expect(await (await app.request('/', { headers: { cookie: 'a=1' } })).text()).toBe('a=1')
  })
})

describe('headers on the response to the client', () => {
  it('sets, appends and removes headers of the upstream response, keeping its body and status', async () => {
    const { app } = policyApp(
      { response: { set: { 'x-served-by': 'gatehouse' }, add: { vary: 'origin' }, remove: ['x-internal'] } },
      () => new Response('created', { status: 201, headers: { 'x-internal': 'node-7', vary: 'accept', 'x-served-by': 'node' } }),
    )
    const res = await app.request('/')
    expect(res.status).toBe(201)
    expect(await res.text()).toBe('created')
    expect(res.headers.get('x-served-by')).toBe('gatehouse')
    expect(res.headers.get('vary')).toBe('accept, origin')
    expect(res.headers.has('x-internal')).toBe(false)
  })

  it('edits a response whose headers are immutable (as a fetch response is)', async () => {
    const { app } = policyApp({ response: { set: { 'x-served-by': 'gatehouse' } } }, () => Response.redirect('http://example.com/next', 302))
    const res = await app.request('/')
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('http://example.com/next')
    expect(res.headers.get('x-served-by')).toBe('gatehouse')
  })

  it('leaves the response alone when it has no response edits', async () => {
    const { app } = policyApp({ request: { set: { 'x-a': '1' } } })
    const res = await app.request('/')
    expect(res.headers.get('x-internal')).toBe('node-7')
    expect(res.headers.has('x-a')).toBe(false)
  })
})
