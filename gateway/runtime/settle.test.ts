import { describe, expect, it } from 'vitest'
import { createSettler } from './settle.ts'

describe('createSettler', () => {
  it('reports a change only once the same snapshot is seen twice in a row', () => {
    const settled = createSettler()
    expect(settled('a')).toBe(false) // initial
    expect(settled('a')).toBe(false)
    expect(settled('b')).toBe(false) // changed, not settled yet
    expect(settled('b')).toBe(true) // settled
    expect(settled('b')).toBe(false) // reported once
  })

  it('skips intermediate states of a write in progress', () => {
    const settled = createSettler()
    settled('full-v1')
    expect(settled('empty')).toBe(false) // truncated
    expect(settled('half-v2')).toBe(false) // being written
    expect(settled('full-v2')).toBe(false)
    expect(settled('full-v2')).toBe(true)
  })

  it('ignores a change that is undone before it settles', () => {
    const settled = createSettler()
    settled('v1')
    expect(settled('v2')).toBe(false)
    expect(settled('v1')).toBe(false)
    expect(settled('v1')).toBe(false)
  })
})
