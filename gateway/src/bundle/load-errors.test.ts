import { describe, expect, it } from 'vitest'
import { BundleError, loadBundle } from './load.ts'
import { at, problemsOf, SERVICES_FILE } from './testing.ts'

const S = 'policies/00-services.yaml'
const F = 'policies/routes.yaml'

/** The problems of SERVICES_FILE plus one more file `F` with `text`. */
const problems = (text: string) => problemsOf({ [S]: SERVICES_FILE, [F]: text })

describe('loadBundle problems', () => {
  it('reports YAML syntax errors at their position', async () => {
    const tab = 'routes:\n  - id: a\n\t  http: demo\n'
    const nested = 'routes:\n  - id: a\n    match: path: /a\n'
    expect(await problemsOf({ 'policies/tab.yaml': tab, 'policies/nested.yaml': nested })).toEqual([
      `${at('policies/nested.yaml', nested, 'path')}: invalid YAML: nested mappings are not allowed in compact mappings`,
      `${at('policies/tab.yaml', tab, '\t')}: invalid YAML: tabs are not allowed as indentation`,
    ])
  })

  it('refuses a file with two YAML documents', async () => {
    const text = 'routes: []\n---\nroutes: []\n'
    expect(await problems(text)).toEqual([
      `${at(F, text, '---')}: a policy file holds one YAML document; remove the second "---" or split the file`,
    ])
  })

  it('reports a duplicate key inside one file', async () => {
    const text = 'services:\n  a: { endpoints: [{ url: "http://a" }] }\n  a: { endpoints: [{ url: "http://b" }] }\n'
    expect(await problems(text)).toEqual([`${at(F, text, 'a:', 2)}: duplicate key "a"`])
  })

  it('points at an unknown key and suggests the nearest one', async () => {
    const text = 'routes:\n  - id: a\n    match: { path: /a }\n    timout: 5s\n    http: demo\nroutez: []\n'
    expect(await problems(text)).toEqual([
      `${at(F, text, 'timout')}: unknown key "timout" (did you mean "timeout"?) (at routes[0].timout)`,
      `${at(F, text, 'routez')}: unknown key "routez" (did you mean "routes"?) (at routez)`,
    ])
  })

  it('reports wrong types in words an operator knows', async () => {
    const text = 'services:\n  b:\n    endpoints: http://b\n    preserveHost: "yes"\n'
    expect(await problems(text)).toEqual([
      `${at(F, text, 'http://b')}: expected list, received string (at services.b.endpoints)`,
      `${at(F, text, '"yes"')}: expected true or false, received "yes" (at services.b.preserveHost)`,
    ])
  })

  it('reports a route without an upstream at the entry that lacks it', async () => {
    const text = 'routes:\n  - id: a\n    match: { path: /a }\n'
    expect(await problems(text)).toEqual([`${at(F, text, 'id: a')}: a route needs an upstream: one of http, passthrough or rpc (at routes[0])`])
  })

  it('reports a route with two upstreams, an rpc route with a path, and a passthrough route without one', async () => {
    const text = [
      'routes:',
      '  - id: two',
      '    match: { path: /a }',
      '    http: demo',
      '    passthrough: demo',
      '  - id: rpc-path',
      '    match: { path: /b }',
      '    rpc: { service: demo, proto: gatehouse.storage.v1.StorageService }',
      '  - id: no-path',
      '    match: { host: api.example.com }',
      '    passthrough: demo',
      '',
    ].join('\n')
    expect(await problems(text)).toEqual([
      `${at(F, text, 'demo', 2)}: a route has one upstream, found http and passthrough (at routes[0].passthrough)`,
      `${at(F, text, '/b')}: an rpc route takes its path from the google.api.http annotations of gatehouse.storage.v1.StorageService; match only host and headers (at routes[1].match.path)`,
      `${at(F, text, '{ host')}: match.path is required (only rpc routes take their paths from annotations) (at routes[2].match)`,
    ])
  })

  it('checks the service of passthrough and rpc routes, and the shape of a proto name', async () => {
    const text = [
      'routes:',
      '  - id: p',
      '    match: { path: /a }',
      '    passthrough: dem',
      '  - id: r',
      '    rpc: { service: demoo, proto: "not a name" }',
      '',
    ].join('\n')
    expect(await problems(text)).toEqual([
      `${at(F, text, 'dem\n')}: unknown service "dem" (did you mean "demo"?) (at routes[0].passthrough)`,
      `${at(F, text, 'demoo')}: unknown service "demoo" (did you mean "demo"?) (at routes[1].rpc.service)`,
      `${at(F, text, '"not a name"')}: invalid proto name "not a name" (expected package.Service or package.Service/Method) (at routes[1].rpc.proto)`,
    ])
  })

  it('reports a dangling policy reference with a suggestion', async () => {
    const text = 'routes:\n  - id: a\n    match: { path: /a }\n    policies: [add-tg, nope]\n    http: demo\n'
    expect(await problems(text)).toEqual([
      `${at(F, text, 'add-tg')}: unknown policy "add-tg" (did you mean "add-tag"?) (at routes[0].policies[0])`,
      `${at(F, text, 'nope')}: unknown policy "nope" (at routes[0].policies[1])`,
    ])
  })

  it('reports a dangling service reference', async () => {
    const text = 'routes:\n  - id: a\n    match: { path: /a }\n    http: dmeo\n'
    expect(await problems(text)).toEqual([
      `${at(F, text, 'dmeo')}: unknown service "dmeo" (did you mean "demo"?) (at routes[0].http)`,
    ])
  })

  it('reports an unknown policy type with a suggestion', async () => {
    const text = 'policies:\n  tag:\n    type: header\n    response: {}\n'
    expect(await problems(text)).toEqual([
      `${at(F, text, 'header')}: unknown policy type "header" (did you mean "headers"?) (at policies.tag.type)`,
    ])
  })

  it("checks a policy's options against its type's schema", async () => {
    const text = 'policies:\n  tag:\n    type: headers\n    reqest: {}\n    response:\n      set: { x-a: 1 }\n'
    expect(await problems(text)).toEqual([
      `${at(F, text, 'reqest')}: unknown key "reqest" (did you mean "request"?) (at policies.tag.reqest)`,
      `${at(F, text, '1 }')}: expected string, received number (at policies.tag.response.set.x-a)`,
    ])
  })

  it('reports a duplicate route id across files, naming the first', async () => {
    const first = 'routes:\n  - id: a\n    match: { path: /a }\n    http: demo\n'
    const second = 'routes:\n  - id: b\n    match: { path: /b }\n    http: demo\n  - id: a\n    match: { path: /c }\n    http: demo\n'
    const Z = 'policies/z.yaml'
    expect(await problemsOf({ [S]: SERVICES_FILE, [F]: first, [Z]: second })).toEqual([
      `${at(Z, second, 'a\n    match: { path: /c')}: duplicate route id "a" (first defined at ${F}:2) (at routes[2].id)`,
    ])
  })

  it('reports a service defined twice, naming the first', async () => {
    const text = 'services:\n  demo:\n    endpoints: [{ url: "http://other" }]\n'
    expect(await problems(text)).toEqual([`${at(F, text, 'demo')}: duplicate service "demo" (first defined at ${S}:2) (at services.demo)`])
  })

  it('reports a bad path template with the reason', async () => {
    const text = 'routes:\n  - id: a\n    match: { path: "/v1/{id}/{id}" }\n    http: demo\n'
    expect(await problems(text)).toEqual([
      `${at(F, text, '"/v1')}: invalid path template: variable "id" appears twice (at routes[0].match.path)`,
    ])
  })

  it('reports bad durations with a hint', async () => {
    const text = 'routes:\n  - id: a\n    match: { path: /a }\n    timeout: 5\n    http: demo\n' +
      '  - id: b\n    match: { path: /b }\n    timeout: 5 sec\n    http: demo\n' +
      '  - id: c\n    match: { path: /c }\n    timeout: 2h\n    http: demo\n' +
      '  - id: d\n    match: { path: /d }\n    timeout: 0s\n    http: demo\n'
    expect(await problems(text)).toEqual([
      `${at(F, text, '5\n')}: expected a duration with a unit (write 5s, not 5) (at routes[0].timeout)`,
      `${at(F, text, '5 sec')}: invalid duration "5 sec" (write e.g. 250ms, 5s, 1.5s, 2m or 1h) (at routes[1].timeout)`,
      `${at(F, text, '2h')}: must be at most 1h (at routes[2].timeout)`,
      `${at(F, text, '0s')}: must be a positive duration (at routes[3].timeout)`,
    ])
  })

  it('reports bad route concurrency limits', async () => {
    const text = 'routes:\n  - id: a\n    match: { path: /a }\n    concurrency: { limit: 0, queue: 1.5, maxWait: 2m }\n    http: demo\n' +
      '  - id: b\n    match: { path: /b }\n    concurrency: { queue: 2, burst: 1 }\n    http: demo\n' +
      '  - id: c\n    match: { path: /c }\n    concurrency: { limit: 4, adaptive: { min: 8 } }\n    http: demo\n'
    expect(await problems(text)).toEqual([
      `${at(F, text, '0,')}: must be >= 1 (at routes[0].concurrency.limit)`,
      `${at(F, text, '1.5')}: expected int, received number (at routes[0].concurrency.queue)`,
      `${at(F, text, '2m')}: must be at most 1m (at routes[0].concurrency.maxWait)`,
      `${at(F, text, '{ queue: 2')}: missing required key "limit" (at routes[1].concurrency)`,
      `${at(F, text, 'burst')}: unknown key "burst" (at routes[1].concurrency.burst)`,
      `${at(F, text, '8 } }')}: adaptive.min must not exceed limit (at routes[2].concurrency.adaptive.min)`,
    ])
  })

  it('reports bad endpoint URLs', async () => {
    const urls = ['ftp://a', 'http://a/api', 'http://u:p@a', 'http://a/?x=1', 'http://a:99999', 'localhost:8081']
    const text = `services:\n${urls.map((u, i) => `  s${i}: { endpoints: [{ url: "${u}" }] }\n`).join('')}`
    const path = (i: number) => `(at services.s${i}.endpoints[0].url)`
    expect(await problems(text)).toEqual([
      `${at(F, text, '"ftp')}: unsupported URL scheme "ftp:" (use http: or https:) ${path(0)}`,
      `${at(F, text, '"http://a/api')}: URL must not have a path (found "/api") ${path(1)}`,
      `${at(F, text, '"http://u:p')}: URL must not contain credentials ${path(2)}`,
      `${at(F, text, '"http://a/?')}: URL must not have a query ${path(3)}`,
      `${at(F, text, '"http://a:9')}: invalid URL "http://a:99999" (expected e.g. http://10.0.0.7:8080) ${path(4)}`,
      `${at(F, text, '"localhost')}: invalid URL "localhost:8081" (expected e.g. http://10.0.0.7:8080) ${path(5)}`,
    ])
  })

  it('reports invalid names and match fields', async () => {
    const text = 'policies:\n  Add_Tag: { type: headers }\nroutes:\n  - id: A\n    match: { path: /a, method: "G T", host: "a.com:80", headers: { x-v: 2 } }\n    http: demo\n'
    expect(await problems(text)).toEqual([
      `${at(F, text, 'Add_Tag')}: invalid name "Add_Tag": use lower-case letters, digits and "-", starting with a letter or digit (at policies.Add_Tag)`,
      `${at(F, text, 'A\n')}: invalid route id "A" (use lower-case letters, digits, "-", "_" and ".") (at routes[0].id)`,
      `${at(F, text, '"G T"')}: invalid HTTP method "G T" (at routes[0].match.method)`,
      `${at(F, text, '"a.com')}: invalid host "a.com:80" (expected e.g. api.example.com or *.example.com, no port) (at routes[0].match.host)`,
      `${at(F, text, '2 }')}: expected string, received number (quote it: "2") (at routes[0].match.headers.x-v)`,
    ])
  })

  it('reports every problem at once, sorted by file, line and column', async () => {
    const a = 'services:\n  demo:\n    endpoints: []\n    timeout: 5\n'
    const b = 'routes:\n  - id: r\n    match: { path: nope }\n    policies: [missing]\n    http: demo\n    extra: 1\n'
    const err = await loadBundle([
      { path: 'policies/b.yaml', text: b },
      { path: 'policies/a.yaml', text: a },
    ]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BundleError)
    const lines = [
      `${at('policies/a.yaml', a, '[]')}: must not be empty (at services.demo.endpoints)`,
      `${at('policies/a.yaml', a, '5')}: expected a duration with a unit (write 5s, not 5) (at services.demo.timeout)`,
      `${at('policies/b.yaml', b, 'nope')}: invalid path template: a path template must start with "/" (at routes[0].match.path)`,
      `${at('policies/b.yaml', b, 'missing')}: unknown policy "missing" (at routes[0].policies[0])`,
      `${at('policies/b.yaml', b, 'extra')}: unknown key "extra" (at routes[0].extra)`,
    ]
    expect((err as BundleError).message).toBe(lines.join('\n'))
    expect((err as BundleError).problems.map((p) => p.location.line)).toEqual([3, 4, 3, 4, 6])
  })
})
