import { describe, expect, it } from 'vitest'
import { requestHeader } from './request-header.ts'

const context = (rawHeaders: readonly string[] | undefined, headers: Record<string, string> = {}) => ({
  env: rawHeaders === undefined ? undefined : { rawHeaders },
  req: { header: (name: string) => new Headers(headers).get(name) ?? undefined },
})

describe('requestHeader', () => {
  it('reads raw fields in any case, joining repeats as Headers.get does', () => {
    const raw = ['Host', 'a.example', 'X-Request-Id', 'r1', 'traceparent', 't', 'X-Multi', 'a', 'x-multi', 'b']
    const c = context(raw)
    expect(requestHeader(c, 'host')).toBe('a.example')
    expect(requestHeader(c, 'x-request-id')).toBe('r1')
    expect(requestHeader(c, 'x-multi')).toBe('a, b')
    expect(requestHeader(c, 'x-missing')).toBeUndefined()
    const fromHeaders = new Headers()
    for (let i = 0; i < raw.length; i += 2) fromHeaders.append(raw[i]!, raw[i + 1]!)
    expect(requestHeader(c, 'x-multi')).toBe(fromHeaders.get('x-multi'))
  })

  it('asks the request itself when the adapter has no raw fields (Bun, Deno)', () => {
    const c = context(undefined, { host: 'b.example' })
    expect(requestHeader(c, 'host')).toBe('b.example')
    expect(requestHeader(c, 'x-missing')).toBeUndefined()
  })
})
