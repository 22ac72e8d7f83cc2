import { describe, expect, it } from 'vitest'
import { formatPath, formatProblem, formatRouteTable } from './format.ts'
import { loadBundle } from './load.ts'
import { SERVICES_FILE } from './testing.ts'

describe('formatProblem', () => {
  it('reads file:line:column: message (at path)', () => {
    const location = { file: 'policies/a.yaml', line: 3, column: 7 }
    expect(formatProblem({ location, path: 'routes[0].timout', message: 'unknown key "timout"' })).toBe(
      'policies/a.yaml:3:7: unknown key "timout" (at routes[0].timout)',
    )
    expect(formatProblem({ location, path: '', message: 'invalid YAML: x' })).toBe('policies/a.yaml:3:7: invalid YAML: x')
  })

  it('writes paths with dots, indexes and quoted odd keys', () => {
    expect(formatPath(['routes', 2, 'match', 'path'])).toBe('routes[2].match.path')
    expect(formatPath(['policies', 'add-tag', 'response', 'set', 'x y'])).toBe('policies.add-tag.response.set["x y"]')
  })
})

describe('formatRouteTable', () => {
  it('prints a row per route, aligned, and the bundle hash', async () => {
    const routes = `routes:
  - id: get-item
    match: { method: [GET, HEAD], host: api.example.com, path: "/v1/items/{id}", headers: { x-v: "2" } }
    policies: [add-tag]
    http: demo
  - id: everything-else
    match: { path: "/{rest=**}" }
    timeout: 1m30s
    http: demo
`
    const bundle = await loadBundle([
      { path: 'a.yaml', text: SERVICES_FILE },
      { path: 'b.yaml', text: routes },
    ])
    const lines = formatRouteTable(bundle).split('\n')
    expect(lines[0]?.split(/\s+/)).toEqual(['ID', 'METHODS', 'HOST', 'PATH', 'HEADERS', 'POLICIES', 'UPSTREAM', 'TIMEOUT'])
    expect(lines[1]?.split(/\s+/)).toEqual(['get-item', 'GET,HEAD', 'api.example.com', '/v1/items/{id}', 'x-v=2', 'add-tag', 'http:demo', '30s'])
    expect(lines[2]?.split(/\s+/)).toEqual(['everything-else', '*', '*', '/{rest=**}', '-', '-', 'http:demo', '1m30s'])
    expect(lines[1]?.indexOf('http:demo')).toBe(lines[2]?.indexOf('http:demo'))
    expect(lines.at(-1)).toBe(`bundle ${bundle.hash} (2 routes, 1 service, 1 policy instance, 2 files)`)
  })
})
