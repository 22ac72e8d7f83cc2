import { describe, expect, it } from 'vitest'
import { ApiKeyOptions } from './options.ts'

describe('api-key options', () => {
  it('fills defaults', () => {
    expect(ApiKeyOptions.parse({ keysFile: 'secrets/keys.yaml' })).toEqual({
      keysFile: 'secrets/keys.yaml',
      header: 'x-api-key',
      authorization: true,
      required: true,
    })
  })

  it.each([
    ['no keys file', {}],
    ['an empty keys file', { keysFile: '' }],
    ['inline keys (keys belong in the secrets file)', { keysFile: 'k.yaml', keys: [] }],
    ['a bad header name', { keysFile: 'k.yaml', header: 'x api key' }],
    ['an empty query parameter', { keysFile: 'k.yaml', query: '' }],
  ])('rejects %s', (_, options) => {
    expect(ApiKeyOptions.safeParse(options).success).toBe(false)
  })
})
