import { describe, expect, it } from 'vitest'
import { loadBundle } from './load.ts'
import { locationOf } from './testing.ts'
import type { SourceFile } from './types.ts'

const SERVICES = `# yaml-language-server: $schema=./schema.json
services:
  demo:
    kind: http
    endpoints:
      - url: http://127.0.0.1:8081
        zone: a
      - url: https://backup.internal:8443/
    timeout: 5s
  slow:
    endpoints: [{ url: "http://10.0.0.9" }]
    preserveHost: true
policies:
  add-tag:
    type: headers
    response: { set: { x-served-by: gatehouse } }
`
const ROUTES = `routes:
  - id: get-item
    match:
      method: get
      host: API.Example.com
      path: /v1/items/{id}
      headers: { X-Api-Version: "2", x-tenant: "*" }
    policies: [add-tag]
    timeout: 1.5s
    http: demo
  - id: list-items
    match: { method: [GET, head, GET], path: /v1/items }
    http: demo
  - id: slow.export
    match: { path: "/v1/export/{rest=**}" }
    http: slow
`
const files: SourceFile[] = [
  { path: 'policies/routes.yaml', text: ROUTES },
  { path: 'policies/base.yaml', text: SERVICES },
]

describe('loadBundle', () => {
  it('merges files in name order and fills defaults', async () => {
    const bundle = await loadBundle(files)
    expect(bundle.files).toEqual(['policies/base.yaml', 'policies/routes.yaml'])
    expect(bundle.hash).toMatch(/^[0-9a-f]{64}$/)

    const demo = bundle.services.get('demo')
    expect(demo?.endpoints.map((e) => [e.url.href, e.zone])).toEqual([
      ['http://127.0.0.1:8081/', 'a'],
      ['https://backup.internal:8443/', undefined],
    ])
    expect(demo).toMatchObject({ name: 'demo', kind: 'http', timeoutMs: 5000, preserveHost: false })
    expect(bundle.services.get('slow')).toMatchObject({ kind: 'http', timeoutMs: undefined, preserveHost: true })

    expect(bundle.policies.get('add-tag')).toEqual({
      name: 'add-tag',
      type: 'headers',
      options: { response: { set: { 'x-served-by': 'gatehouse' } } },
      location: locationOf('policies/base.yaml', SERVICES, 'add-tag:'),
    })

    const [get, list, exp] = bundle.routes
    expect(bundle.routes.map((r) => r.id)).toEqual(['get-item', 'list-items', 'slow.export'])
    expect(get).toEqual({
      id: 'get-item',
      match: {
        methods: ['GET'],
        host: 'api.example.com',
        path: '/v1/items/{id}',
        headers: { 'x-api-version': '2', 'x-tenant': '*' },
      },
      policies: ['add-tag'],
      timeoutMs: 1500,
      upstream: { kind: 'http', service: 'demo' },
      location: locationOf('policies/routes.yaml', ROUTES, 'id: get-item'),
    })
    expect(list).toMatchObject({ match: { methods: ['GET', 'HEAD'], host: undefined, headers: {} }, policies: [], timeoutMs: 5000 })
    expect(exp).toMatchObject({ match: { methods: undefined }, timeoutMs: 30_000, upstream: { service: 'slow' } })
  })

  it('accepts empty files, comment-only files and empty sections', async () => {
    const bundle = await loadBundle([
      ...files,
      { path: 'policies/empty.yaml', text: '' },
      { path: 'policies/notes.yaml', text: '# nothing here yet\n' },
      { path: 'policies/wip.yaml', text: 'routes:\npolicies:\n' },
    ])
    expect(bundle.routes).toHaveLength(3)
  })

  it('keeps the hash when only formatting, comments or file layout change', async () => {
    const { hash } = await loadBundle(files)
    const reformatted = `# moved everything into one file, flow style, other key order
policies: { add-tag: { response: { set: { x-served-by: gatehouse } }, type: headers } }
services:
  slow: { preserveHost: true, endpoints: [{ url: "http://10.0.0.9/" }], kind: http }
  demo:
    timeout: 5000ms
    endpoints: [{ zone: a, url: "HTTP://127.0.0.1:8081" }, { url: "https://backup.internal:8443" }]
routes:
  - { id: get-item, http: demo, timeout: 1500ms, policies: [add-tag],
      match: { path: "/v1/items/{id}", method: [GET], host: api.example.com, headers: { x-tenant: "*", x-api-version: "2" } } }
  - { id: list-items, match: { path: /v1/items, method: [get, head] }, http: demo, policies: [] }
  - { id: slow.export, match: { path: "/v1/export/{rest=**}" }, http: slow }
`
    expect((await loadBundle([{ path: 'elsewhere/all.yml', text: reformatted }])).hash).toBe(hash)
  })

  it('changes the hash with any semantic change', async () => {
    const { hash } = await loadBundle(files)
    const variants = [
      ROUTES.replace('timeout: 1.5s', 'timeout: 2s'),
      ROUTES.replace('policies: [add-tag]', 'policies: []'),
      ROUTES.replace('host: API.Example.com', 'host: api.example.org'),
      ROUTES.replace('timeout: 1.5s', 'timeout: 1.5s\n    concurrency: { limit: 4 }'),
      // the same routes in another order
      ROUTES.replace(/ {2}- id: get-item[\s\S]*?http: demo\n/, '') + ROUTES.match(/ {2}- id: get-item[\s\S]*?http: demo\n/)?.[0],
    ]
    for (const text of variants) {
      expect((await loadBundle([files[1] as SourceFile, { path: 'policies/routes.yaml', text }])).hash).not.toBe(hash)
    }
    const moreOptions = SERVICES.replace('x-served-by: gatehouse', 'x-served-by: gatehouse-2')
    expect((await loadBundle([files[0] as SourceFile, { path: 'policies/base.yaml', text: moreOptions }])).hash).not.toBe(hash)
  })

  it('reads a route concurrency limit, filling the queue (0) and the longest wait (1s)', async () => {
    const text = ROUTES.replace('timeout: 1.5s', 'timeout: 1.5s\n    concurrency: { limit: 4 }').replace(
      'path: /v1/items }',
      'path: /v1/items }\n    concurrency: { limit: 1, queue: 8, maxWait: 250ms }',
    )
    const bundle = await loadBundle([files[1] as SourceFile, { path: 'policies/routes.yaml', text }])
    expect(bundle.routes.map((r) => r.concurrency)).toEqual([
      { limit: 4, queue: 0, maxWaitMs: 1000 },
      { limit: 1, queue: 8, maxWaitMs: 250 },
      undefined,
    ])
  })
})
