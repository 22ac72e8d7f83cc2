import { describe, expect, it } from 'vitest'
import { parsePathTemplate } from './path-template.ts'

describe('parsePathTemplate', () => {
  it('matches one segment per variable and decodes it', () => {
    const t = parsePathTemplate('/v1/items/{id}')
    expect(t.variables).toEqual(['id'])
    expect(t.match('/v1/items/42')).toEqual({ id: '42' })
    expect(t.match('/v1/items/a%20b')).toEqual({ id: 'a b' })
    expect(t.match('/v1/items/42/more')).toBeUndefined()
    expect(t.match('/v1/items/')).toBeUndefined()
    expect(t.match('/v1/items')).toBeUndefined()
  })

  it('lets {rest=**} take any number of segments, including none', () => {
    const t = parsePathTemplate('/files/{rest=**}')
    expect(t.match('/files/a/b/c.txt')).toEqual({ rest: 'a/b/c.txt' })
    expect(t.match('/files/')).toEqual({ rest: '' })
    expect(t.match('/files')).toEqual({ rest: '' })
    expect(t.match('/filesystem')).toBeUndefined()
  })

  it('supports multi-segment patterns and plain wildcards', () => {
    const verb = parsePathTemplate('/v1/{name=tasks/*}:cancel')
    expect(verb.match('/v1/tasks/t1:cancel')).toEqual({ name: 'tasks/t1' })
    expect(verb.match('/v1/tasks/t1')).toBeUndefined()
    const n = parsePathTemplate('/v1/{name=buckets/*/objects/*}')
    expect(n.match('/v1/buckets/b1/objects/o1')).toEqual({ name: 'buckets/b1/objects/o1' })
    expect(n.match('/v1/buckets/b1/objects')).toBeUndefined()
    expect(parsePathTemplate('/a/*/c').match('/a/b/c')).toEqual({})
    expect(parsePathTemplate('/a/**').match('/a/b/c')).toEqual({})
  })

  it('treats regex characters in literals literally', () => {
    const t = parsePathTemplate('/v1/a.b+c')
    expect(t.match('/v1/a.b+c')).toEqual({})
    expect(t.match('/v1/aXbbc')).toBeUndefined()
  })

  it('throws URIError for a bad escape in a parameter', () => {
    expect(() => parsePathTemplate('/x/{id}').match('/x/%E0%A4%A')).toThrow(URIError)
  })

  it.each([
    ['v1/items', 'must start with "/"'],
    ['/v1/{id', 'unclosed "{"'],
    ['/v1/{1id}', 'invalid variable name "1id"'],
    ['/v1/{id}/{id}', 'appears twice'],
    ['/v1/**/x', '"**" may only stand in the last segment'],
    ['/v1/{a=**}/x', '"**" may only stand in the last segment'],
    ['/v1/x{id}', 'a variable must fill a whole segment'],
    ['/v1/{id}x', 'a variable must fill a whole segment'],
    ['/v1/a b', 'invalid character'],
    ['/v1?x=1', 'query'],
  ])('rejects %s', (source, message) => {
    expect(() => parsePathTemplate(source)).toThrow(message)
  })
})
