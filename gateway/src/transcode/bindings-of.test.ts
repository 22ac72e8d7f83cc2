import { describe, expect, it } from 'vitest'
import { bindingsOf, withVerbsFirst } from './bindings-of.ts'

describe('bindingsOf', () => {
  it('expands a target into its HTTP bindings', () => {
    const r = bindingsOf('gatehouse.testing.v1.TranscodingService/GetThing')
    expect('bindings' in r && r.bindings.map((b) => b.path)).toEqual(['/v1/{name=shelves/*/things/*}', '/v1/things/{name=**}'])
  })

  it('passes on the resolver error', () => {
    expect(bindingsOf('gatehouse.testing.v1.TranscodingService/Unmaped')).toEqual({
      error: 'proto service "gatehouse.testing.v1.TranscodingService" has no method "Unmaped" (did you mean "Unmapped"?)',
    })
  })
})

describe('withVerbsFirst', () => {
  it('puts custom-verb templates first and keeps the order otherwise', () => {
    const paths = ['/v1/tasks/{task_id}', '/v1/tasks', '/v1/tasks/{task_id}:watch', '/v1/{name=a/*}:cancel', '/v1/records/{key=**}']
    expect(withVerbsFirst(paths.map((path) => ({ path }))).map((b) => b.path)).toEqual([
      '/v1/tasks/{task_id}:watch',
      '/v1/{name=a/*}:cancel',
      '/v1/tasks/{task_id}',
      '/v1/tasks',
      '/v1/records/{key=**}',
    ])
  })
})
