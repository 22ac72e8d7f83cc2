import { describe, expect, it } from 'vitest'
import { hostOf, rawPath, rawPathAndQuery } from './request-url.ts'

describe('rawPathAndQuery', () => {
  it('returns the path and query exactly as received', () => {
    expect(rawPathAndQuery('http://api.example.com:8080/v1/items/a%20b?x=%2F&y=1')).toBe('/v1/items/a%20b?x=%2F&y=1')
  })

  it('keeps the path of a Request url, which the URL parser has normalised but not decoded', () => {
    const url = new Request('http://h/v1/./items/%7E%zz//x?q=a%26b').url
    expect(rawPathAndQuery(url)).toBe('/v1/items/%7E%zz//x?q=a%26b')
  })

  it('is "/" for a URL without a path', () => {
    expect(rawPathAndQuery('http://h')).toBe('/')
  })

  it('does not mistake a "//" in the path or query for the authority', () => {
    expect(rawPathAndQuery('https://h//a//b?u=http://x/')).toBe('//a//b?u=http://x/')
  })
})

describe('rawPath', () => {
  it('drops the query', () => {
    expect(rawPath('http://h/v1/items/a%3Fb?x=1')).toBe('/v1/items/a%3Fb')
  })

  it('is the whole path when there is no query', () => {
    expect(rawPath('http://h/v1/items')).toBe('/v1/items')
  })

  it('is "/" for the root with a query', () => {
    expect(rawPath('http://h/?x=1')).toBe('/')
  })
})

describe('hostOf', () => {
  it('lower-cases and drops the port', () => {
    expect(hostOf('API.Example.COM:8443')).toBe('api.example.com')
  })

  it('keeps a bracketed IPv6 literal whole', () => {
    expect(hostOf('[::1]:8080')).toBe('[::1]')
    expect(hostOf('[2001:DB8::1]')).toBe('[2001:db8::1]')
  })

  it('returns a host without a port as it is, lower-cased', () => {
    expect(hostOf('localhost')).toBe('localhost')
  })

  it('is undefined without a Host header', () => {
    expect(hostOf(undefined)).toBeUndefined()
    expect(hostOf('')).toBeUndefined()
  })
})
