import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createBatchingSink, createLogger, formatAccessLog } from './access-log.ts'
import { GatewayError } from './errors.ts'

const entry = {
  time: '2025-01-02T03:04:05.678Z',
  requestId: 'req-1',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  routeId: 'get-object',
  method: 'GET',
  path: '/v1/objects/a',
  status: 200,
  durationMs: 12.3456,
}

describe('formatAccessLog', () => {

  it('writes the keys in a fixed order, rounds durationMs to 0.01 and omits absent fields', () => {
    const line = formatAccessLog({ error: 'TIMEOUT', remote: '10.0.0.1', bytesIn: 42, ...entry })
    expect(Object.keys(JSON.parse(line))).toEqual([
      'time', 'requestId', 'traceId', 'routeId', 'method', 'path', 'status', 'durationMs', 'bytesIn', 'remote', 'error',
    ])
    expect(JSON.parse(line)).toMatchObject({ durationMs: 12.35, bytesIn: 42, remote: '10.0.0.1', error: 'TIMEOUT' })
    const minimal = formatAccessLog({ ...entry, durationMs: 0.004, remote: undefined })
    expect(minimal).toBe(
      '{"time":"2025-01-02T03:04:05.678Z","requestId":"req-1","traceId":"4bf92f3577b34da6a3ce929d0e0e4736",' +
        '"routeId":"get-object","method":"GET","path":"/v1/objects/a","status":200,"durationMs":0}',
    )
  })

  it('is one line whatever the path contains', () => {
    const line = formatAccessLog({ ...entry, path: '/a\nb"c' })
    expect(line).not.toContain('\n')
    expect(JSON.parse(line).path).toBe('/a\nb"c')
  })
})

describe('createBatchingSink', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  const text = (chunk: Uint8Array) => new TextDecoder().decode(chunk)

  it('writes buffered lines in one chunk after flushMs', () => {
    const chunks: string[] = []
    const sink = createBatchingSink((c) => chunks.push(text(c)), { flushMs: 50 })
    sink('a')
    sink('b')
    vi.advanceTimersByTime(49)
    expect(chunks).toEqual([])
    sink('c')
    vi.advanceTimersByTime(1)
    expect(chunks).toEqual(['a\nb\nc\n'])
    vi.advanceTimersByTime(1000)
    expect(chunks).toHaveLength(1)
  })

  it('defaults to 20 ms', () => {
    const chunks: string[] = []
    const sink = createBatchingSink((c) => chunks.push(text(c)))
    sink('x')
    vi.advanceTimersByTime(19)
    expect(chunks).toEqual([])
    vi.advanceTimersByTime(1)
    expect(chunks).toEqual(['x\n'])
  })

  it('writes at once when the next line might not fit (3 bytes per character), then buffers it', () => {
    const chunks: string[] = []
    const sink = createBatchingSink((c) => chunks.push(text(c)), { maxBytes: 20, flushMs: 50 })
    sink('1234') // 5 bytes used
    sink('5678') // 5 + up to 13 fit: 10 used
    expect(chunks).toEqual([])
    sink('9012') // 10 + up to 13 might not
    expect(chunks).toEqual(['1234\n5678\n'])
    vi.advanceTimersByTime(50)
    expect(chunks).toEqual(['1234\n5678\n', '9012\n'])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('writes a line longer than the buffer on its own, after what was buffered, in UTF-8', () => {
    const chunks: string[] = []
    const sink = createBatchingSink((c) => chunks.push(text(c)), { maxBytes: 16, flushMs: 50 })
    sink('ab')
    sink('a-line-longer-than-max-é')
    expect(chunks).toEqual(['ab\n', 'a-line-longer-than-max-é\n'])
    sink('ü€')
    vi.advanceTimersByTime(50)
    expect(chunks[2]).toBe('ü€\n')
  })

  it('flush() writes now and does nothing when empty', () => {
    const chunks: string[] = []
    const sink = createBatchingSink((c) => chunks.push(text(c)))
    sink.flush()
    expect(chunks).toEqual([])
    sink('a')
    sink.flush()
    expect(chunks).toEqual(['a\n'])
    expect(vi.getTimerCount()).toBe(0)
    sink('b')
    vi.advanceTimersByTime(20)
    expect(chunks).toEqual(['a\n', 'b\n'])
  })

  it('writes access entries as the same bytes as formatAccessLog, escaping or not', () => {
    const chunks: string[] = []
    const sink = createBatchingSink((c) => chunks.push(text(c)), { maxBytes: 4096 })
    const durations = [0, 0.004, 0.005, 0.05, 0.5, 1, 1.2, 1.25, 9.999, 10, 99.995, 1234.5678, 86_400_000.01]
    const variants = [
      {},
      { remote: '127.0.0.1' },
      { remote: '::1', error: 'TIMEOUT', bytesIn: 0 },
      { bytesIn: 1_048_576, status: 503 },
      { path: '/a\nb"c\\d' }, // needs escaping: falls back to the string form
      { path: '/caf\u00e9/\u{1F600}' }, // not ASCII
      { routeId: 'r"1', method: 'PATCH', status: 99 },
      { error: 'tab\there', remote: 'x' },
    ]
    const expected: string[] = []
    for (const d of durations) {
      for (const v of variants) {
        const e = { ...entry, durationMs: d, ...v }
        sink.entry(e)
        expected.push(`${formatAccessLog(e)}\n`)
      }
    }
    sink.flush()
    expect(chunks.join('')).toBe(expected.join(''))
    expect(chunks.length).toBeGreaterThan(1) // filled the 4 KiB buffer more than once
  })

  it('writes an access entry larger than the buffer on its own, after what was buffered', () => {
    const chunks: string[] = []
    const sink = createBatchingSink((c) => chunks.push(text(c)), { maxBytes: 300 })
    const e = { time: 't', requestId: 'r', traceId: 'x', routeId: 'a', method: 'GET', path: `/${'p'.repeat(400)}`, status: 200, durationMs: 1 }
    sink('first')
    sink.entry(e)
    sink.flush()
    expect(chunks).toEqual(['first\n', `${formatAccessLog(e)}\n`])
  })

  it('rejects bad options', () => {
    expect(() => createBatchingSink(() => {}, { maxBytes: 0 })).toThrow(TypeError)
    expect(() => createBatchingSink(() => {}, { flushMs: -1 })).toThrow(TypeError)
  })
})

describe('createLogger', () => {
  const capture = () => {
    const lines: string[] = []
    return { lines, log: createLogger((l) => lines.push(l), 'gateway'), parsed: () => lines.map((l) => JSON.parse(l)) }
  }

  it('writes time, level, node, msg, then the fields', () => {
    const { lines, log } = capture()
    log.info('bundle reloaded', { hash: 'abc', routes: 3 })
    log.warn('draining')
    expect(lines).toHaveLength(2)
    const first = JSON.parse(lines[0]!)
    expect(Object.keys(first)).toEqual(['time', 'level', 'node', 'msg', 'hash', 'routes'])
    expect(first).toMatchObject({ level: 'info', node: 'gateway', msg: 'bundle reloaded', hash: 'abc', routes: 3 })
    expect(new Date(first.time).toISOString()).toBe(first.time)
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'warn', msg: 'draining' })
  })

  it('renders errors as name and message, with a stack only for error(..., { err })', () => {
    const { log, parsed } = capture()
    const err = new GatewayError('TIMEOUT', 'upstream timed out')
    log.warn('slow', { err })
    log.error('failed', { err, cause: new TypeError('bad') })
    const [warn, error] = parsed()
    expect(warn.err).toEqual({ name: 'GatewayError', message: 'upstream timed out' })
    expect(error.err).toMatchObject({ name: 'GatewayError', message: 'upstream timed out' })
    expect(error.err.stack).toContain('upstream timed out')
    expect(error.cause).toEqual({ name: 'TypeError', message: 'bad' })
  })

  it('keeps the fixed keys and survives unserializable fields', () => {
    const { log, parsed } = capture()
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    log.info('m', { level: 'fake', node: 'other', ok: true })
    log.info('cyclic', { cyclic })
    const [first, second] = parsed()
    expect(first).toMatchObject({ level: 'info', node: 'gateway', ok: true })
    expect(second).toMatchObject({ msg: 'cyclic', logError: 'fields could not be serialized' })
  })
})
