import { HTTPException } from 'hono/http-exception'
import { describe, expect, it } from 'vitest'
import { CODE_INFO, ERROR_CODES, GatewayError, renderProblem, toGatewayError } from './errors.ts'
import type { ErrorCode } from './errors.ts'

/** The table from the README, written out independently of CODE_INFO. */
const EXPECTED: Record<ErrorCode, [status: number, connect: string]> = {
  INVALID_ARGUMENT: [400, 'invalid_argument'],
  UNAUTHENTICATED: [401, 'unauthenticated'],
  PERMISSION_DENIED: [403, 'permission_denied'],
  NOT_FOUND: [404, 'not_found'],
  METHOD_NOT_ALLOWED: [405, 'unimplemented'],
  PAYLOAD_TOO_LARGE: [413, 'resource_exhausted'],
  RATE_LIMITED: [429, 'resource_exhausted'],
  OVERLOADED: [503, 'resource_exhausted'],
  UNAVAILABLE: [503, 'unavailable'],
  TIMEOUT: [504, 'deadline_exceeded'],
  NOT_LEADER: [503, 'unavailable'],
  STALE_EPOCH: [409, 'aborted'],
  CANCELED: [499, 'canceled'],
  INTERNAL: [500, 'internal'],
}

describe('the error taxonomy', () => {
  it('has exactly the documented codes', () => {
    expect([...ERROR_CODES].sort()).toEqual(Object.keys(EXPECTED).sort())
  })

  it.each(ERROR_CODES)('maps %s to its HTTP status and Connect code', (code) => {
    const [status, connect] = EXPECTED[code]
    expect(CODE_INFO[code]).toMatchObject({ status, connect })
    expect(new GatewayError(code, 'x').status).toBe(status)
  })
})

describe('toGatewayError', () => {
  it('returns a GatewayError as it is', () => {
    const err = new GatewayError('RATE_LIMITED', 'slow down')
    expect(toGatewayError(err)).toBe(err)
  })

  // Bug: errors.ts isHttpException() tests `err.name === 'HTTPException'`, but hono's HTTPException
  // never sets `name` (it is 'Error'), so every HTTPException becomes INTERNAL / 500.
  it("turns hono's HTTPException into the code of its status, keeping a 4xx message", () => {
    const err = toGatewayError(new HTTPException(413, { message: 'body over 1 MiB' }))
    expect(err.code).toBe('PAYLOAD_TOO_LARGE')
    expect(err.status).toBe(413)
    expect(err.message).toBe('body over 1 MiB')
  })

  it("turns a 5xx HTTPException into a code without its message", () => {
    const err = toGatewayError(new HTTPException(504, { message: 'db at 10.1.2.3 timed out' }))
    expect(err.code).toBe('TIMEOUT')
    expect(err.message).not.toContain('10.1.2.3')
  })

  it('turns a plain Error into INTERNAL with a generic message, keeping it as the cause', () => {
    const original = new Error('password=hunter2')
    const err = toGatewayError(original)
    expect(err.code).toBe('INTERNAL')
    expect(err.status).toBe(500)
    expect(err.message).toBe('internal error')
    expect(err.cause).toBe(original)
  })

  it('turns a thrown string into INTERNAL without its text', () => {
    const err = toGatewayError('password=hunter2')
    expect(err.code).toBe('INTERNAL')
    expect(err.message).toBe('internal error')
  })
})

describe('renderProblem', () => {
  it('answers application/problem+json, no-store, with the error headers and documented fields', async () => {
    const err = new GatewayError('RATE_LIMITED', 'quota of 10/min used', {
      headers: { 'retry-after': '7' },
      extensions: { limit: 10 },
    })
    const res = renderProblem(err, 'req-1')
    expect(res.status).toBe(429)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('retry-after')).toBe('7')
    expect(await res.json()).toEqual({
      type: 'urn:gatehouse:problem:rate-limited',
      title: 'Rate limited',
      status: 429,
      code: 'RATE_LIMITED',
      detail: 'quota of 10/min used',
      requestId: 'req-1',
      limit: 10,
    })
  })

  it('lets no extension overwrite the fixed members', async () => {
    const err = new GatewayError('NOT_FOUND', 'nope', { extensions: { status: 200, code: 'OK', requestId: 'forged' } })
    expect(await renderProblem(err, 'req-2').json()).toMatchObject({ status: 404, code: 'NOT_FOUND', requestId: 'req-2' })
  })

  it('omits requestId when there is none', async () => {
    const body = await renderProblem(new GatewayError('TIMEOUT', 'slow'), undefined).json()
    expect(body).not.toHaveProperty('requestId')
    expect(body).toMatchObject({ status: 504, code: 'TIMEOUT' })
  })

  it('renders a foreign error as a bare 500 without its message or stack', async () => {
    const res = renderProblem(new Error('secret at /srv/app.ts:12'), 'req-3')
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(text).not.toContain('secret')
    expect(text).not.toContain('app.ts')
    expect(text).not.toContain('stack')
    expect(JSON.parse(text)).toEqual({
      type: 'urn:gatehouse:problem:internal',
      title: 'Internal error',
      status: 500,
      code: 'INTERNAL',
      detail: 'internal error',
      requestId: 'req-3',
    })
  })
})
