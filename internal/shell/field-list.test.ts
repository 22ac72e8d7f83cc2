import { describe, expect, it } from 'vitest'
import { FieldList } from './field-list.ts'

const received = (flat: string[], skip: (name: string) => boolean = () => false) => FieldList.fromReceived(flat, skip)

describe('FieldList', () => {
  it('takes received fields with lower-cased names, in order, minus the skipped ones', () => {
    const fields = received(['Host', 'a.test', 'X-Trace', '1', 'Connection', 'close', 'Accept', '*/*'], (n) => n === 'connection')
    expect(fields.flat()).toEqual(['host', 'a.test', 'x-trace', '1', 'accept', '*/*'])
  })

  it('gets repeated fields joined with a comma and space, case-insensitively, null when absent', () => {
    const fields = received(['vary', 'accept', 'Vary', 'origin'])
    expect(fields.get('VARY')).toBe('accept, origin')
    expect(fields.has('Vary')).toBe(true)
    expect(fields.get('x-none')).toBeNull()
    expect(fields.has('x-none')).toBe(false)
  })

  it('set replaces every value in place of the first, and appends a new name at the end', () => {
    const fields = received(['a', '1', 'b', '2', 'a', '3'])
    fields.set('A', 'x')
    fields.set('C', 'y')
    expect(fields.flat()).toEqual(['a', 'x', 'b', '2', 'c', 'y'])
  })

  it('append keeps earlier values; delete removes every value', () => {
    const fields = FieldList.empty()
    fields.append('X-Claim', 'a')
    fields.append('x-claim', 'b')
    fields.append('x-other', 'c')
    expect(fields.get('x-claim')).toBe('a, b')
    fields.delete('X-CLAIM')
    expect([...fields]).toEqual([['x-other', 'c']])
  })

  it('refuses what Headers refuses: a bad name, CR, LF or NUL in a value', () => {
    const fields = FieldList.empty()
    expect(() => fields.set('bad name', 'v')).toThrow(TypeError)
    expect(() => fields.set('', 'v')).toThrow(TypeError)
    expect(() => fields.append('x-a', 'one\r\nx-injected: 1')).toThrow(TypeError)
    expect(() => fields.set('x-a', 'nul\0')).toThrow(TypeError)
    expect(fields.flat()).toEqual([])
  })

  it('trims spaces and tabs around a value, as Headers does, and keeps inner ones', () => {
    const fields = FieldList.empty()
    fields.set('x-a', ' \tsome value\t ')
    expect(fields.get('x-a')).toBe('some value')
    expect(new Headers([['x-a', ' \tsome value\t ']]).get('x-a')).toBe('some value')
  })

  it('iterates as pairs, so Headers and Object.fromEntries take it', () => {
    const fields = received(['a', '1', 'b', '2'])
    expect(fields.pairs()).toEqual([['a', '1'], ['b', '2']])
    expect(Object.fromEntries(fields)).toEqual({ a: '1', b: '2' })
    expect(new Headers([...fields]).get('b')).toBe('2')
    const seen: string[] = []
    fields.forEach((value, name) => seen.push(`${name}=${value}`))
    expect(seen).toEqual(['a=1', 'b=2'])
  })
})
