import { describe, expect, it } from 'vitest'
import { policyFilePath } from './types.ts'

describe('policyFilePath', () => {
  it('resolves a relative path against the directory of the policy file, and keeps an absolute one', () => {
    expect(policyFilePath({ source: 'policies/auth.yaml' }, 'secrets/keys.yaml')).toBe('policies/secrets/keys.yaml')
    expect(policyFilePath({ source: '/etc/gatehouse/policies/auth.yaml' }, 'jwks.json')).toBe('/etc/gatehouse/policies/jwks.json')
    expect(policyFilePath({ source: 'auth.yaml' }, 'keys.yaml')).toBe('keys.yaml')
    expect(policyFilePath({ source: 'policies/auth.yaml' }, '/run/secrets/keys.yaml')).toBe('/run/secrets/keys.yaml')
  })
})
