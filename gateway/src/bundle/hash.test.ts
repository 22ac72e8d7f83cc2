import { describe, expect, it } from 'vitest'
import { canonicalJson, sha256Hex } from './hash.ts'

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: undefined, w: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[2,{"w":null,"y":1}]},"b":1}',
    )
  })

  it('writes Maps as objects and URLs as their href', () => {
    expect(canonicalJson(new Map<string, unknown>([['z', 1], ['a', new URL('HTTP://Example.com:80')]]))).toBe('{"a":"http://example.com/","z":1}')
  })
})

describe('sha256Hex', () => {
  it('is the WebCrypto SHA-256 in lower-case hex', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })
})
