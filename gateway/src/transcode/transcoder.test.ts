import type { HandlerContext } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { ECHO_SERVICE, transcodeApp } from './testing/transcode-app.ts'

const app = transcodeApp(ECHO_SERVICE)
const json = (body: unknown, method = 'POST', headers: Record<string, string> = {}) => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

async function problem(res: Response, status: number): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  return (await res.json()) as Record<string, unknown>
}

describe('path variables and the query string', () => {
  it('binds a multi-segment variable and every kind of query field', async () => {
    const query = [
      'filter.count=9007199254740993', // int64 beyond 2^53 stays exact
      'filter.color=COLOR_RED',
      'filter.colors=COLOR_GREEN&filter.colors=1',
      'filter.tags=a&filter.tags=b',
      'filter.inner.deep.note=deep%20down',
      'filter.inner.level=3',
      'filter.title=by%20json%20name',
      'filter.flag=true',
      'filter.ratio=0.5',
      'filter.blob=aGk=',
      'filter.big=18446744073709551615',
      'labels=x&labels=y',
      'page_size=20',
      'view=COLOR_GREEN',
      'customName=c',
    ].join('&')
    const res = await app.request(`/v1/shelves/s1/things/t%2F1?${query}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({
      request: {
        name: 'shelves/s1/things/t/1',
        filter: {
          count: '9007199254740993',
          color: 'COLOR_RED',
          colors: ['COLOR_GREEN', 'COLOR_RED'],
          tags: ['a', 'b'],
          inner: { deep: { note: 'deep down' }, level: 3 },
          title: 'by json name',
          flag: true,
          ratio: 0.5,
          blob: 'aGk=',
          big: '18446744073709551615',
        },
        labels: ['x', 'y'],
        pageSize: '20',
        view: 'COLOR_GREEN',
        customName: 'c',
      },
    })
  })

  it('serves an additional binding with a ** variable', async () => {
    const res = await app.request('/v1/things/a/b/c?filter.display_name=x')
    expect(await res.json()).toEqual({ request: { name: 'a/b/c', filter: { title: 'x' } } })
  })

  it('accepts the proto name and the JSON name of a query field alike', async () => {
    const a = await (await app.request('/v1/things/n?custom_name_field=v')).json()
    const b = await (await app.request('/v1/things/n?customName=v')).json()
    expect(a).toEqual(b)
  })

  it('rejects an unknown query parameter with 400, naming it and the nearest field', async () => {
    const body = await problem(await app.request('/v1/things/n?page_sise=3'), 400)
    expect(body).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(body.detail).toContain('unknown query parameter "page_sise" (did you mean "page_size"?)')
    expect((await problem(await app.request('/v1/things/n?filter.nope=1'), 400)).detail).toContain('"filter.nope"')
  })

  it('rejects a query parameter that sets a path-bound field', async () => {
    const body = await problem(await app.request('/v1/things/n?name=other'), 400)
    expect(body.detail).toBe('query parameter "name" sets a field that the path already binds')
  })

  it('rejects values of the wrong type with 400', async () => {
    for (const q of ['page_size=abc', 'filter.flag=yes', 'view=COLOR_BLUE', 'filter.inner.level=1.5', 'filter.blob=!!']) {
      const body = await problem(await app.request(`/v1/things/n?${q}`), 400)
      expect(body.code).toBe('INVALID_ARGUMENT')
    }
  })

  it('rejects a singular field given twice, a map, and a message named as a leaf', async () => {
    expect((await problem(await app.request('/v1/things/n?page_size=1&page_size=2'), 400)).detail).toContain('given 2 times')
    expect((await problem(await app.request('/v1/things/n?filter.attributes=a'), 400)).detail).toContain('map')
    expect((await problem(await app.request('/v1/things/n?filter.inner=a'), 400)).detail).toContain('"filter.inner.<field>"')
  })
})

describe('bodies', () => {
  it('body "*": fills the message from the JSON body, the path wins', async () => {
    const res = await app.request('/v1/shelves/s1/things', json({ shelf: 'ignored', thing: { id: 't', count: '5', title: 'T' }, validateOnly: true }))
    expect(await res.json()).toEqual({ request: { shelf: 's1', thing: { id: 't', count: '5', title: 'T' }, validateOnly: true } })
  })

  it('body "*" leaves nothing for the query', async () => {
    const body = await problem(await app.request('/v1/shelves/s1/things?validate_only=true', json({})), 400)
    expect(body.detail).toBe('query parameter "validate_only" sets a field that the body already binds')
  })

  it('body "field" with a nested path variable inside it, and the rest from the query', async () => {
    const res = await app.request('/v1/shelves/s1/things/t9?validate_only=true', json({ count: 2 }, 'PUT'))
    expect(await res.json()).toEqual({ request: { shelf: 's1', thing: { id: 't9', count: '2' }, validateOnly: true } })
    const patched = await app.request('/v1/things/t3?update_mask=count&update_mask=color&options.deep.note=n', json({ id: 'body-id', color: 'COLOR_RED' }, 'PATCH'))
    expect(await patched.json()).toEqual({
      request: { thing: { id: 't3', color: 'COLOR_RED' }, updateMask: ['count', 'color'], options: { deep: { note: 'n' } } },
    })
    expect((await problem(await app.request('/v1/things/t3?thing.count=1', json({}, 'PATCH')), 400)).detail).toContain('the body already binds')
  })

  it('a custom verb with body "*"', async () => {
    const res = await app.request('/v1/things/t1:cancel', json({ reason: 'done' }))
    expect(await res.json()).toEqual({ request: { id: 't1', reason: 'done' } })
  })

  it('no body: a body sent anyway is ignored; custom HTTP methods work', async () => {
    const res = await app.request('/v1/things/t1?force=true', { method: 'DELETE', body: 'not json' })
    expect(await res.json()).toEqual({ id: 't1', force: true }) // response_body: "request"
    const purge = await app.request('/v1/things/t2', { method: 'PURGE' })
    // An additional binding has its own response_body (none here): the whole response.
    expect(await purge.json()).toEqual({ serverNote: 'not in the HTTP body', request: { id: 't2' } })
  })

  it('rejects malformed JSON, unknown fields and wrong types with 400', async () => {
    const broken = await problem(await app.request('/v1/shelves/s/things', { method: 'POST', body: '{"thing": ' }), 400)
    expect(broken.detail).toMatch(/^malformed JSON body/)
    const unknown = await problem(await app.request('/v1/shelves/s/things', json({ thing: { colour: 'red' } })), 400)
    expect(unknown.detail).toContain('key "colour" is unknown')
    const wrong = await problem(await app.request('/v1/shelves/s/things', json({ thing: { count: 'many' } })), 400)
    expect(wrong.detail).toContain('gatehouse.testing.v1.Thing.count')
    const notObject = await problem(await app.request('/v1/shelves/s/things', json([1, 2])), 400)
    expect(notObject.code).toBe('INVALID_ARGUMENT')
    const badUtf8 = await problem(await app.request('/v1/shelves/s/things', { method: 'POST', body: new Uint8Array([0x7b, 0xff, 0x7d]) }), 400)
    expect(badUtf8.detail).toContain('UTF-8')
  })

  it('rejects a body over the bound with 413, by declared length and by bytes read', async () => {
    const small = transcodeApp(ECHO_SERVICE, { maxBodyBytes: 64 })
    const big = JSON.stringify({ reason: 'x'.repeat(100) })
    expect((await problem(await small.request('/v1/things/t:cancel', { method: 'POST', body: big }), 413)).code).toBe('PAYLOAD_TOO_LARGE')
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('          '))
        controller.close()
      },
    })
    const res = await small.request('/v1/things/t:cancel', { method: 'POST', body: chunked, duplex: 'half' } as RequestInit)
    expect((await problem(res, 413)).detail).toBe('the request body is larger than 64 bytes')
  })
})

describe('raw bodies', () => {
  it('google.api.HttpBody in: the raw body and its content type, the rest from path and query', async () => {
    const res = await app.request('/v1/blobs/b1?expected_size=3', { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array([1, 2, 3]) })
    expect(await res.json()).toEqual({ name: 'b1', contentType: 'image/png', size: '3', expectedSize: '3' })
  })

  it('google.api.HttpBody out: its content type and bytes; a bytes response_body in an additional binding', async () => {
    const res = await app.request('/v1/blobs/b2:download?content_type=text/csv')
    expect(res.headers.get('content-type')).toBe('text/csv')
    expect(await res.text()).toBe('blob b2')
    const raw = await app.request('/v1/blobs/b2:raw')
    expect(raw.headers.get('content-type')).toBe('application/octet-stream')
    expect(await raw.text()).toBe('blob b2')
  })
})

describe('upstream calls', () => {
  it('passes the upstream headers (not the client message headers) and the timeout', async () => {
    const seen: HandlerContext[] = []
    const observed = transcodeApp(ECHO_SERVICE, { timeoutMs: 5000, observe: (_m, c) => seen.push(c) })
    const res = await observed.request('/v1/things/t1:cancel', json({}, 'POST', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x-claim-sub': 'alice', 'connect-timeout-ms': '1' }))
    expect(res.status).toBe(200)
    const context = seen[0] as HandlerContext
    expect(context.requestHeader.get('x-request-id')).toBe('req-test')
    expect(context.requestHeader.get('x-claim-sub')).toBe('alice')
    expect(context.requestHeader.get('traceparent')).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
    expect(context.requestHeader.get('content-type')).toBe('application/proto') // the transport's own
    const timeout = context.timeoutMs() ?? 0
    expect(timeout).toBeGreaterThan(1000) // ours, not the client's smuggled connect-timeout-ms
    expect(timeout).toBeLessThanOrEqual(5000)
  })

  it('answers HEAD without a body, for unary and streaming bindings', async () => {
    const res = await app.request('/v1/things/t1', { method: 'HEAD' })
    expect([res.status, await res.text()]).toEqual([200, ''])
    const stream = await app.request('/v1/blobs/b:stream?chunks=2', { method: 'HEAD' })
    expect([stream.status, stream.headers.get('content-type'), await stream.text()]).toEqual([200, 'application/octet-stream', ''])
    expect((await app.request('/v1/blobs/missing:stream', { method: 'HEAD' })).status).toBe(404)
  })
})

describe('errors from the upstream', () => {
  const raise = (code: string, message = 'boom', withDetail = false) => app.request('/v1/errors:raise', json({ code, message, withDetail }))

  it('answers problem+json with the status of Connect code table, the Connect code and the details', async () => {
    const body = await problem(await raise('already_exists', 'thing t1 exists', true), 409)
    expect(body).toEqual({
      type: 'urn:gatehouse:problem:already-exists',
      title: 'Already exists',
      status: 409,
      code: 'INVALID_ARGUMENT',
      connectCode: 'already_exists',
      detail: 'thing t1 exists',
      requestId: 'req-test',
      details: [{ type: 'gatehouse.testing.v1.ErrorReason', value: 'CgdiZWNhdXNl', debug: { reason: 'because' } }],
    })
    const table: [string, number][] = [
      ['canceled', 499], ['invalid_argument', 400], ['deadline_exceeded', 504], ['not_found', 404],
      ['permission_denied', 403], ['resource_exhausted', 429], ['failed_precondition', 400], ['aborted', 409],
      ['out_of_range', 400], ['unimplemented', 501], ['unavailable', 503], ['unauthenticated', 401],
    ]
    for (const [code, status] of table) expect(await problem(await raise(code), status)).toMatchObject({ connectCode: code, status })
  })

  it('never leaks the message or details of a 5xx, nor a foreign error', async () => {
    for (const code of ['internal', 'unknown', 'data_loss']) {
      const body = await problem(await raise(code, 'db password is hunter2', true), 500)
      expect(JSON.stringify(body)).not.toContain('hunter2')
      expect(body).not.toHaveProperty('details')
    }
    const unavailable = await problem(await raise('unavailable', 'dial tcp 10.0.0.7:7101: refused'), 503)
    expect(unavailable.detail).toBe('Upstream unavailable')
    const foreign = await problem(await raise('not-a-code', 'TypeError: x is undefined at /srv/app.js:1'), 500)
    expect(foreign).toMatchObject({ connectCode: 'internal', code: 'INTERNAL', detail: 'Internal error' }) // connect's router hides it too
  })

  it('maps an unreachable upstream to 503 and a deadline to 504', async () => {
    const { createConnectTransport } = await import('@connectrpc/connect-web')
    const down = transcodeApp(ECHO_SERVICE, { transport: createConnectTransport({ baseUrl: 'http://127.0.0.1:9', fetch: globalThis.fetch }) })
    expect((await problem(await down.request('/v1/things/t1'), 503)).connectCode).toBe('unavailable')
    const { createConnectTransport: nodeTransport } = await import('@connectrpc/connect-node')
    const refused = transcodeApp(ECHO_SERVICE, { transport: nodeTransport({ baseUrl: 'http://127.0.0.1:9', httpVersion: '1.1' }) })
    expect(JSON.stringify(await problem(await refused.request('/v1/things/t1'), 503))).not.toContain('127.0.0.1')
    const slow = transcodeApp(ECHO_SERVICE, { timeoutMs: 50 })
    const res = await slow.request('/v1/things:watch?count=3&interval_ms=1000')
    // The deadline passes mid-stream: a final error frame.
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.at(-1)).toMatchObject({ error: { status: 504, connectCode: 'deadline_exceeded' } })
  })
})

describe('server streaming', () => {
  const ndjson = async (res: Response) => (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as unknown)

  it('writes NDJSON by default: one {"result"} line per message', async () => {
    const res = await app.request('/v1/things:watch?count=3')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-ndjson')
    expect(await ndjson(res)).toEqual([
      { result: { color: 'COLOR_RED' } },
      { result: { seq: '1', color: 'COLOR_GREEN' } },
      { result: { seq: '2', color: 'COLOR_RED' } },
    ])
  })

  it('ends NDJSON with an {"error"} line when the stream fails midway', async () => {
    const lines = await ndjson(await app.request('/v1/things:watch?count=5&fail_after=2'))
    expect(lines).toHaveLength(3)
    expect(lines[2]).toEqual({
      error: {
        type: 'urn:gatehouse:problem:unavailable',
        title: 'Upstream unavailable',
        status: 503,
        code: 'UNAVAILABLE',
        connectCode: 'unavailable',
        detail: 'Upstream unavailable',
        requestId: 'req-test',
      },
    })
  })

  it('writes Server-Sent Events for Accept: text/event-stream, with a final error event', async () => {
    const res = await app.request('/v1/things:watch?count=5&fail_after=2', { headers: { accept: 'text/event-stream' } })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const text = await res.text()
    const events = text.split('\n\n').filter(Boolean)
    expect(events.slice(0, 2)).toEqual(['data: {"color":"COLOR_RED"}', 'data: {"seq":"1","color":"COLOR_GREEN"}'])
    expect(events[2]).toMatch(/^event: error\ndata: \{.*"connectCode":"unavailable".*\}$/)
    expect(events).toHaveLength(3)
  })

  it('answers a failure before the first message with its own status', async () => {
    expect((await problem(await app.request('/v1/things:watch?count=-1'), 400)).connectCode).toBe('invalid_argument')
  })

  it('sends messages as they arrive, not at the end', async () => {
    const res = await app.request('/v1/things:watch?count=3&interval_ms=300')
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const started = Date.now()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toBe('{"result":{"color":"COLOR_RED"}}\n')
    expect(Date.now() - started).toBeLessThan(550) // the whole stream takes >= 600 ms
    await reader.cancel()
  })

  it('streams raw bytes for a bytes response_body, skipping messages without them', async () => {
    const res = await app.request('/v1/blobs/b:stream?chunks=3')
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(await res.text()).toBe('chunk-0;chunk-1;chunk-2;')
    expect((await problem(await app.request('/v1/blobs/missing:stream?chunks=3'), 404)).connectCode).toBe('not_found')
  })

  it('aborts a raw stream that fails after its first bytes (never a clean 200)', async () => {
    const res = await app.request('/v1/blobs/b:stream?chunks=5&fail_after=2')
    expect(res.status).toBe(200)
    await expect(res.text()).rejects.toThrow()
  })
})

describe('client streaming', () => {
  it('sends one message per element of a JSON array, each with the path fields', async () => {
    const res = await app.request('/v1/sums/tally', json([{ value: '1' }, { value: 2 }, { value: '9007199254740993' }]))
    expect(await res.json()).toEqual({ label: 'tally', total: '9007199254740996', count: 3 })
    const empty = await app.request('/v1/sums/none', { method: 'POST' })
    expect(await empty.json()).toEqual({})
  })

  it('rejects a body that is not an array, and a bad element', async () => {
    expect((await problem(await app.request('/v1/sums/x', json({ value: 1 })), 400)).detail).toContain('JSON array')
    expect((await problem(await app.request('/v1/sums/x', json([{ value: 1 }, { valeu: 2 }])), 400)).detail).toContain('"valeu"')
  })

  it('streams a raw body into bytes messages after a leading message with the path and query fields', async () => {
    const res = await app.request('/v1/blobs/b7?header.content_type=text/plain', { method: 'PUT', body: 'hello, world' })
    expect(await res.json()).toEqual({ header: { name: 'b7', contentType: 'text/plain' }, size: '12', chunks: 1, data: 'aGVsbG8sIHdvcmxk' })
  })

  it('cuts a large raw body into chunks of at most 1 MiB, without the buffered-body bound', async () => {
    const small = transcodeApp(ECHO_SERVICE, { maxBodyBytes: 1024 })
    const res = await small.request('/v1/blobs/big', { method: 'PUT', body: new Uint8Array(2.5 * 1024 * 1024) })
    expect(await res.json()).toMatchObject({ header: { name: 'big' }, size: String(2.5 * 1024 * 1024), chunks: 3 })
  })
})
