import { describe, expect, it } from 'vitest'
import type { RouteSpec } from '../bundle/types.ts'
import { createRouteTable } from './route-table.ts'

function route(id: string, match: Partial<RouteSpec['match']> & { path: string }): { route: RouteSpec; value: string } {
  return {
    route: {
      id,
      match: { methods: undefined, host: undefined, headers: {}, ...match },
      policies: [],
      timeoutMs: 1000,
      upstream: { kind: 'http', service: 's' },
      location: { file: 'f.yaml', line: 1, column: 1 },
    },
    value: id,
  }
}

const request = (method: string, path: string, host?: string, headers: Record<string, string> = {}) => ({
  method,
  path,
  host,
  headers: new Headers(headers),
})

describe('createRouteTable', () => {
  const table = createRouteTable([
    route('v2-by-header', { path: '/v1/items/{id}', headers: { 'x-api-version': '2' } }),
    route('admin-host', { path: '/v1/items/{id}', host: 'admin.example.com' }),
    route('wildcard-host', { path: '/v1/items/{id}', host: '*.example.com', methods: ['DELETE'] }),
    route('get-item', { path: '/v1/items/{id}', methods: ['GET', 'HEAD'] }),
    route('any-header', { path: '/flag', headers: { 'x-flag': '*' } }),
  ])

  it('takes the first route whose method, host, path and headers all match', () => {
    const m = table.match(request('GET', '/v1/items/7', 'api.test'))
    expect(m).toMatchObject({ kind: 'match', value: 'get-item', params: { id: '7' } })
    expect(table.match(request('GET', '/v1/items/7', 'api.test', { 'x-api-version': '2' }))).toMatchObject({
      value: 'v2-by-header',
    })
    expect(table.match(request('GET', '/v1/items/7', 'admin.example.com'))).toMatchObject({ value: 'admin-host' })
    expect(table.match(request('DELETE', '/v1/items/7', 'shop.example.com'))).toMatchObject({ value: 'wildcard-host' })
  })

  it('does not let *.example.com match example.com itself', () => {
    expect(table.match(request('DELETE', '/v1/items/7', 'example.com'))).toEqual({
      kind: 'method-not-allowed',
      allow: ['GET', 'HEAD'],
    })
  })

  it('answers method-not-allowed with the allowed methods when only the method differs', () => {
    expect(table.match(request('POST', '/v1/items/7', 'api.test'))).toEqual({ kind: 'method-not-allowed', allow: ['GET', 'HEAD'] })
  })

  it('lets a GET route answer HEAD, and lists HEAD in Allow', () => {
    const getOnly = createRouteTable([route('r', { path: '/x', methods: ['GET'] })])
    expect(getOnly.match(request('HEAD', '/x'))).toMatchObject({ kind: 'match', value: 'r' })
    expect(getOnly.match(request('PUT', '/x'))).toEqual({ kind: 'method-not-allowed', allow: ['GET', 'HEAD'] })
    const postOnly = createRouteTable([route('p', { path: '/x', methods: ['POST'] })])
    expect(postOnly.match(request('HEAD', '/x'))).toEqual({ kind: 'method-not-allowed', allow: ['POST'] })
  })

  it('answers none when no path matches, and requires a header that must be present', () => {
    expect(table.match(request('GET', '/nope'))).toEqual({ kind: 'none' })
    expect(table.match(request('GET', '/flag'))).toEqual({ kind: 'none' })
    expect(table.match(request('GET', '/flag', undefined, { 'x-flag': 'anything' }))).toMatchObject({ value: 'any-header' })
  })
})

describe('createRouteTable: only the routes that can match the first segment are tried', () => {
  const table = createRouteTable([
    route('catch-all-first', { path: '/{any=**}', methods: ['OPTIONS'] }),
    route('items', { path: '/v1/items/{id}' }),
    route('cancel', { path: '/*:cancel' }),
    route('other-v1', { path: '/v1/{name=tasks/*}:run' }),
    route('root', { path: '/' }),
    route('v2', { path: '/v2/things' }),
    route('catch-all-last', { path: '/{rest=**}' }),
  ])

  it('keeps bundle order across literal and variable first segments', () => {
    expect(table.match(request('OPTIONS', '/v1/items/1'))).toMatchObject({ value: 'catch-all-first' })
    expect(table.match(request('GET', '/v1/items/1'))).toMatchObject({ value: 'items' })
    expect(table.match(request('GET', '/v1/tasks/9:run'))).toMatchObject({ value: 'other-v1', params: { name: 'tasks/9' } })
    expect(table.match(request('GET', '/job:cancel'))).toMatchObject({ value: 'cancel' })
    expect(table.match(request('GET', '/'))).toMatchObject({ value: 'root' })
    expect(table.match(request('GET', '/v2/things'))).toMatchObject({ value: 'v2' })
    expect(table.match(request('GET', '/v3/unknown'))).toMatchObject({ value: 'catch-all-last' })
    expect(table.match(request('GET', '/v2/nothing'))).toMatchObject({ value: 'catch-all-last' })
  })

  it('gives the same answers as trying every route in order, on many paths', () => {
    const routes = [
      route('a', { path: '/v1/items/{id}', methods: ['GET'] }),
      route('b', { path: '/v1/items/{id}', methods: ['PUT'] }),
      route('c', { path: '/files/{p=**}' }),
      route('d', { path: '/{tenant}/reports' }),
      route('e', { path: '/v1' }),
      route('f', { path: '/*/x' }),
    ]
    const indexed = createRouteTable(routes)
    // The reference: one table per route, tried in order, as the table did before it had an index.
    const singles = routes.map((r) => createRouteTable([r]))
    const linear = (req: ReturnType<typeof request>) => {
      let allow = new Set<string>()
      for (const single of singles) {
        const m = single.match(req)
        if (m.kind === 'match') return m
        if (m.kind === 'method-not-allowed') allow = new Set([...allow, ...m.allow])
      }
      return allow.size > 0 ? { kind: 'method-not-allowed', allow: [...allow].sort() } : { kind: 'none' }
    }
    const paths = ['/v1/items/1', '/v1', '/v1/', '/files', '/files/a/b', '/acme/reports', '/v1/reports', '/x/x', '/files/x', '/', '/nope']
    for (const path of paths)
      for (const method of ['GET', 'PUT', 'DELETE']) {
        expect(indexed.match(request(method, path)), `${method} ${path}`).toEqual(linear(request(method, path)))
      }
  })
})
