import { describe, expect, it } from 'vitest'
import { endToEndFields, isHopByHop, stripHopByHop } from './hop-by-hop.ts'

const HOP_BY_HOP = {
  connection: 'keep-alive',
  'keep-alive': 'timeout=5',
  'proxy-connection': 'keep-alive',
  'proxy-authenticate': 'Basic',
  'proxy-authorization': 'Basic Zm9vOmJhcg==',
  te: 'trailers',
  trailer: 'x-checksum',
  'transfer-encoding': 'chunked',
  upgrade: 'websocket',
  expect: '100-continue',
}

describe('stripHopByHop', () => {
  it('removes every hop-by-hop header and keeps end-to-end ones', () => {
    const headers = new Headers({ ...HOP_BY_HOP, 'content-type': 'text/plain', authorization: 'Bearer t', 'x-custom': '1' })
    stripHopByHop(headers)
    expect([...headers.keys()].sort()).toEqual(['authorization', 'content-type', 'x-custom'])
  })

  it('removes the headers that connection lists, whatever their case and spacing', () => {
    const headers = new Headers({ connection: 'close,X-Secret ,  x-other', 'x-secret': '1', 'x-other': '2', 'x-kept': '3' })
    stripHopByHop(headers)
    expect([...headers.keys()]).toEqual(['x-kept'])
  })

  it('returns the same Headers object, edited in place', () => {
    const headers = new Headers({ te: 'trailers' })
    expect(stripHopByHop(headers)).toBe(headers)
    expect(headers.has('te')).toBe(false)
  })

  it('ignores empty and malformed elements of the connection header (list syntax allows them)', () => {
    const headers = new Headers({ connection: 'close, , x-secret,, not a token', 'x-secret': '1', 'x-kept': '2' })
    expect(() => stripHopByHop(headers)).not.toThrow()
    expect([...headers.keys()]).toEqual(['x-kept'])
  })
})

describe('endToEndFields', () => {
  it('copies the end-to-end fields and leaves the original alone', () => {
    const original = new Headers({ connection: 'X-Hop', 'x-hop': '1', 'x-end': '2' })
    const copy = endToEndFields(original)
    expect([...copy]).toEqual([['x-end', '2']])
    expect([...original.keys()].sort()).toEqual(['connection', 'x-end', 'x-hop'])
  })

  it('ignores empty elements of the connection header', () => {
    expect([...endToEndFields(new Headers({ connection: ', keep-alive,', 'x-end': '1' }))]).toEqual([['x-end', '1']])
  })

  it('gives a mutable copy of immutable headers', () => {
    const copy = endToEndFields(Response.redirect('http://example.com/', 302).headers)
    copy.set('x-added', '1')
    expect(copy.get('location')).toBe('http://example.com/')
    expect(copy.get('x-added')).toBe('1')
  })

  it('keeps every value of a repeated header', () => {
    const copy = endToEndFields(new Headers([['vary', 'accept'], ['vary', 'origin']]))
    expect(copy.get('vary')).toBe('accept, origin')
  })
})

describe('isHopByHop', () => {
  it('recognises the fixed set and what connection lists, in any case, across repeated connection fields', () => {
    const hop = isHopByHop(['Host', 'a', 'Connection', 'close, X-Secret', 'CONNECTION', 'x-other', 'X-Kept', '1'])
    for (const name of ['keep-alive', 'te', 'transfer-encoding', 'connection', 'x-secret', 'x-other']) expect(hop(name)).toBe(true)
    expect(hop('x-kept')).toBe(false)
    expect(hop('host')).toBe(false)
  })

  it('treats only the fixed set as hop-by-hop without a connection field', () => {
    const hop = isHopByHop(['accept', '*/*'])
    expect(hop('upgrade')).toBe(true)
    expect(hop('accept')).toBe(false)
  })
})
