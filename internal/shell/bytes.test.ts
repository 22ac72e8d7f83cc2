import { describe, expect, it } from 'vitest'
import { concatBytes } from './bytes.ts'

describe('concatBytes', () => {
  const parts = [new Uint8Array([1, 2]), new Uint8Array([]), new Uint8Array([3, 4, 5])]

  it('joins the parts in order', () => {
    expect([...concatBytes(parts)]).toEqual([1, 2, 3, 4, 5])
    expect(concatBytes([]).byteLength).toBe(0)
  })

  it('keeps only the first `limit` bytes', () => {
    expect([...concatBytes(parts, 3)]).toEqual([1, 2, 3])
    expect([...concatBytes(parts, 0)]).toEqual([])
    expect([...concatBytes(parts, 99)]).toEqual([1, 2, 3, 4, 5])
  })
})
