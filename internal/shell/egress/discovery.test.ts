import { describe, expect, it } from 'vitest'
import { createStaticEndpoints, normalizeUrl, withTemporaryEndpoints } from './discovery.ts'
import { manualClock } from './testing.ts'

describe('discovery', () => {
  it('normalises URLs, dedupes, and refuses what is not an http(s) URL', () => {
    expect(normalizeUrl('http://a.test:7001/')).toBe('http://a.test:7001')
    expect(normalizeUrl('HTTP://A.test:7001')).toBe('http://a.test:7001')
    const s = createStaticEndpoints(['http://a.test:1/', { url: 'http://a.test:1', zone: 'z' }, { url: 'http://b.test:1', zone: 'z' }])
    expect(s.current()).toEqual([{ url: 'http://a.test:1' }, { url: 'http://b.test:1', zone: 'z' }])
    expect(() => createStaticEndpoints(['a.test:1'])).toThrow(TypeError)
    expect(() => createStaticEndpoints(['ftp://a.test'])).toThrow('endpoint "ftp://a.test" must be http or https')
  })

  it('tells subscribers of an update, until they unsubscribe', () => {
    const s = createStaticEndpoints(['http://a.test:1'])
    const seen: string[][] = []
    const off = s.subscribe((list) => seen.push(list.map((e) => e.url)))
    s.update(['http://b.test:1'])
    off()
    s.update([])
    expect(seen).toEqual([['http://b.test:1']])
    expect(s.current()).toEqual([])
  })

  it('adds temporary endpoints that expire on their own, without duplicating known ones', () => {
    const clock = manualClock()
    const base = createStaticEndpoints(['http://a.test:1'])
    const t = withTemporaryEndpoints(base, clock.now)
    const seen: number[] = []
    t.subscribe((list) => seen.push(list.length))
    t.add({ url: 'http://leader.test:1/' }, 1_000)
    t.add({ url: 'http://a.test:1' }, 1_000)
    expect(t.current().map((e) => e.url)).toEqual(['http://a.test:1', 'http://leader.test:1'])
    clock.advance(999)
    t.add({ url: 'http://leader.test:1' }, 1_000) // extended
    clock.advance(999)
    expect(t.current()).toHaveLength(2)
    base.update(['http://b.test:1']) // a.test's temporary entry expired at 1000 ms
    expect(t.current().map((e) => e.url)).toEqual(['http://b.test:1', 'http://leader.test:1'])
    clock.advance(1)
    expect(t.current().map((e) => e.url)).toEqual(['http://b.test:1'])
    expect(seen).toEqual([2, 2, 2])
    t.close()
    base.update([])
    expect(seen).toHaveLength(3)
  })
})
