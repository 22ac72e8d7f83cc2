import { describe, expect, it } from 'vitest'
import { closest, didYouMean, editDistance } from './suggest.ts'

describe('editDistance', () => {
  it('counts inserts, deletes, substitutions and adjacent swaps as one edit each', () => {
    expect(editDistance('timeout', 'timeout')).toBe(0)
    expect(editDistance('timout', 'timeout')).toBe(1)
    expect(editDistance('haeders', 'headers')).toBe(1)
    expect(editDistance('add-tg', 'add-tag')).toBe(1)
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
  })
})

describe('closest', () => {
  it('suggests the nearest name within max(1, floor(len/3)) edits', () => {
    expect(closest('header', ['headers', 'rate-limit'])).toBe('headers')
    expect(closest('endpoint', ['kind', 'endpoints', 'timeout'])).toBe('endpoints')
    expect(closest('preservehost', ['preserveHost'])).toBe('preserveHost')
    expect(closest('ab', ['xy'])).toBeUndefined()
    expect(closest('completely-else', ['demo'])).toBeUndefined()
  })

  it('renders as a parenthesised hint, or nothing', () => {
    expect(didYouMean('dmo', ['demo', 'slow'])).toBe(' (did you mean "demo"?)')
    expect(didYouMean('zzz', ['demo'])).toBe('')
  })
})
