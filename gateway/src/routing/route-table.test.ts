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
