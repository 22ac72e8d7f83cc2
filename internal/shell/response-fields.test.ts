import { describe, expect, it } from 'vitest'
import { queuedResponseFields, respondWithFields } from './response-fields.ts'
import { createShell } from './shell.ts'

function testShell() {
  const shell = createShell({ node: 'test', runtime: { name: 'node', version: 'x' }, version: '0', sink: () => {}, accessLog: false })
  return shell
}

describe('response fields', () => {
  it('puts the correlation headers and queued fields on a handler response, queued ones winning', async () => {
    const shell = testShell()
    shell.app.get('/x', (c) => {
      queuedResponseFields(c)['ratelimit-remaining'] = '4'
      return new Response('ok', { headers: { 'x-request-id': 'from-upstream', 'ratelimit-remaining': '99', 'x-kept': '1' } })
    })
    const res = await shell.app.request('/x', { headers: { 'x-request-id': 'abc-123' } })
    expect(res.headers.get('x-request-id')).toBe('abc-123')
    expect(res.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
    expect(res.headers.get('ratelimit-remaining')).toBe('4')
    expect(res.headers.get('x-kept')).toBe('1')
  })

  it('reaches an immutable response (a fetch redirect) by copying it once', async () => {
    const shell = testShell()
    shell.app.get('/r', (c) => {
      queuedResponseFields(c)['x-extra'] = 'yes'
      return Response.redirect('http://example.test/next', 302)
    })
    const res = await shell.app.request('/r', { headers: { 'x-request-id': 'abc-123' } })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('http://example.test/next')
    expect(res.headers.get('x-request-id')).toBe('abc-123')
    expect(res.headers.get('x-extra')).toBe('yes')
  })

  it('respondWithFields merges the queue into the record once, overriding what the record had', async () => {
    const shell = testShell()
    const record: Record<string, string> = { 'content-type': 'text/plain', traceparent: 'upstream-value' }
    shell.app.get('/f', (c) => {
      queuedResponseFields(c)['x-extra'] = 'yes'
      return respondWithFields(c, 'body', 201, record)
    })
    const res = await shell.app.request('/f', { headers: { 'x-request-id': 'abc-123' } })
    expect(res.status).toBe(201)
    expect(await res.text()).toBe('body')
    expect(record['x-request-id']).toBe('abc-123')
    expect(record['x-extra']).toBe('yes')
    expect(res.headers.get('traceparent')).not.toBe('upstream-value')
    expect(res.headers.get('traceparent')).toBe(record.traceparent)
  })

  it('still applies the queue when a later handler replaced a respondWithFields response (an error rendered after it)', async () => {
    const shell = testShell()
    shell.app.use('/e', async (c, next) => {
      await next()
      c.res = undefined as unknown as Response
      c.res = new Response('replaced', { status: 502 })
    })
    shell.app.get('/e', (c) => respondWithFields(c, 'first', 200, {}))
    const res = await shell.app.request('/e', { headers: { 'x-request-id': 'abc-123' } })
    expect(res.status).toBe(502)
    expect(res.headers.get('x-request-id')).toBe('abc-123')
  })
})
