import { describe, expect, it } from 'vitest'
import { createShell } from '../../internal/shell/shell.ts'
import { createAuthenticator } from './auth.ts'
import { debugReaders } from './guard.ts'
import { TEST_SECRET, token } from './testing.ts'

describe('debugReaders: the control gateway /debug/* behind the debug:read scope', () => {
  const shell = createShell({
    node: 'control',
    runtime: { name: 'node', version: 'test' },
    version: 'test',
    sink: () => {},
    accessLog: false,
    debugAuth: debugReaders(createAuthenticator({ secret: TEST_SECRET })),
  })
  shell.addDebugView('control', () => ({ head: 'abc' }))
  const get = async (authorization?: string) => {
    const res = await shell.app.request('/debug/control', { headers: authorization ? { authorization } : {} })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  it('serves the view to a caller with debug:read', async () => {
    expect(await get(`Bearer ${await token('debug:read')}`)).toEqual({ status: 200, body: { head: 'abc' } })
  })

  it('refuses a caller without the scope (403), without a token or with a bad one (401)', async () => {
    expect(await get(`Bearer ${await token('bundle:read bundle:write')}`)).toMatchObject({ status: 403, body: { code: 'PERMISSION_DENIED' } })
    expect((await get()).status).toBe(401)
    expect((await get(`Bearer ${await token('debug:read', 'alice', 'another-secret-0123456789abcdefghij')}`)).status).toBe(401)
  })

  it('still answers 404 for a view that does not exist', async () => {
    const res = await shell.app.request('/debug/nope', { headers: { authorization: `Bearer ${await token('debug:read')}` } })
    expect(res.status).toBe(404)
  })
})
