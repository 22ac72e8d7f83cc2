import { describe, expect, it } from 'vitest'
import { loadBundle } from '../../gateway/src/bundle/load.ts'
import { diffBundles } from './diff.ts'

const load = (text: string) => loadBundle([{ path: 'a.yaml', text }])
const BASE = `services:
  up: { endpoints: [{ url: "http://127.0.0.1:9" }], timeout: 2s }
routes:
  - { id: r, match: { path: /a }, http: up }
`

describe('diffBundles', () => {
  it('sees no change where only defaults, units or formatting differ', async () => {
    const spelled = `services:\n  up:\n    kind: http\n    endpoints:\n      - url: http://127.0.0.1:9/\n    timeout: 2000ms\n    preserveHost: false\nroutes:\n  - id: r\n    match: { path: /a, headers: {} }\n    policies: []\n    timeout: 2s\n    http: up\n`
    expect(diffBundles(await load(BASE), await load(spelled))).toEqual([])
  })

  it('names what was added, removed and changed, down to the field', async () => {
    const next = `services:\n  up: { endpoints: [{ url: "http://127.0.0.1:10" }], timeout: 2s }\n  more: { endpoints: [{ url: "http://127.0.0.1:11" }] }\nroutes:\n  - { id: r, match: { path: /b, method: GET }, http: up }\n`
    expect(diffBundles(await load(BASE), await load(next))).toEqual([
      { section: 'service', name: 'more', kind: 'added', fields: [] },
      { section: 'service', name: 'up', kind: 'changed', fields: ['endpoints'] },
      { section: 'route', name: 'r', kind: 'changed', fields: ['match.methods', 'match.path'] },
    ])
    expect(diffBundles(await load(next), await load(BASE)).map((c) => `${c.kind} ${c.name}`)).toEqual(['removed more', 'changed up', 'changed r'])
  })
})
