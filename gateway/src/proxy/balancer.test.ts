import { describe, expect, it } from 'vitest'
import { roundRobin } from './balancer.ts'

describe('roundRobin', () => {
  it('returns the items in turn, starting with the first, and wraps around', () => {
    const rr = roundRobin(['a', 'b', 'c'])
    expect(Array.from({ length: 7 }, () => rr.next())).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a'])
  })

  it('always returns the only item of a list of one', () => {
    const rr = roundRobin(['only'])
    expect([rr.next(), rr.next()]).toEqual(['only', 'only'])
  })

  it('reports its size', () => {
    expect(roundRobin([1, 2]).size).toBe(2)
  })

  it('refuses an empty list', () => {
    expect(() => roundRobin([])).toThrow(TypeError)
  })

  it('keeps one position per balancer', () => {
    const a = roundRobin(['x', 'y'])
    const b = roundRobin(['x', 'y'])
    a.next()
    expect([b.next(), a.next()]).toEqual(['x', 'y'])
  })
})
