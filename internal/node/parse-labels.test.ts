import { describe, expect, it } from 'vitest'
import { parseLabels } from './registration.ts'

describe('parseLabels', () => {
  it('reads k=v pairs, trims, and ignores entries without a key', () => {
    expect(parseLabels('tier=gold, disk = ssd,broken,=x')).toEqual({ tier: 'gold', disk: 'ssd' })
    expect(parseLabels(undefined)).toEqual({})
    expect(parseLabels('a=b=c')).toEqual({ a: 'b=c' })
  })
})
