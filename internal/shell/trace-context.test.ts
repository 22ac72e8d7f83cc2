import { describe, expect, it } from 'vitest'
import { continueOrStartTrace, formatTraceparent, isValidRequestId, newRequestId, parseTraceparent } from './trace-context.ts'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'
const VALID = `00-${TRACE}-${PARENT}-01`

describe('parseTraceparent', () => {
  it('parses the spec example', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: TRACE, parentId: PARENT, flags: '01' })
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-00`)?.flags).toBe('00')
  })

  it('accepts surrounding spaces and tabs (OWS)', () => {
    for (const h of [` ${VALID}`, `\t${VALID}`, `${VALID} `, `${VALID}\t`, `\t ${VALID} \t`]) {
      expect(parseTraceparent(h)?.traceId).toBe(TRACE)
    }
  })

  it('parses a future version leniently: 55 chars, or more after a "-"', () => {
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, flags: '01' })
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01-what-the-future-will-be-like`)?.parentId).toBe(PARENT)
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-09-`)?.flags).toBe('09')
  })

  it.each([
    ['empty', ''],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['upper-case version', `0A-${TRACE}-${PARENT}-01`],
    ['non-hex version', `0g-${TRACE}-${PARENT}-01`],
    ['one-digit version', `0-${TRACE}-${PARENT}-01`],
    ['version 00 with extra fields', `${VALID}-extra`],
    ['version 00 with a trailing character', `${VALID}.`],
    ['future version without "-" after the flags', `cc-${TRACE}-${PARENT}-01.what-the-future-will-be-like`],
    ['too short', `00-${TRACE}-${PARENT}-1`],
    ['upper-case trace id', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['upper-case parent id', `00-${TRACE}-00F067AA0BA902B7-01`],
    ['upper-case flags', `00-${TRACE}-${PARENT}-0A`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${PARENT}-01-`],
    ['long parent id', `00-${TRACE}-${PARENT}0-01`],
    ['non-hex trace id', `00-${TRACE.slice(0, -1)}g-${PARENT}-01`],
    ['non-hex parent id', `00-${TRACE}-${PARENT.slice(0, -1)}.-01`],
    ['non-hex flags', `00-${TRACE}-${PARENT}-0x`],
    ['wrong delimiter', `00_${TRACE}_${PARENT}_01`],
    ['two headers combined', `${VALID}, 00-${TRACE}-${PARENT}-00`],
    ['future version, two headers combined', `cc-${TRACE}-${PARENT}-01,00-${TRACE}-${PARENT}-00`],
  ])('rejects %s', (_, header) => {
    expect(parseTraceparent(header)).toBeUndefined()
  })

  it('rejects null and undefined', () => {
    expect(parseTraceparent(null)).toBeUndefined()
    expect(parseTraceparent(undefined)).toBeUndefined()
  })
})

describe('continueOrStartTrace', () => {
  it('continues a valid trace with a fresh span id and the same flags and tracestate', () => {
    const ctx = continueOrStartTrace(VALID, 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7')
    expect(ctx).toMatchObject({ traceId: TRACE, parentId: PARENT, flags: '01', tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' })
    expect(ctx.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(ctx.spanId).not.toBe(PARENT)
    expect(continueOrStartTrace(VALID, null).spanId).not.toBe(ctx.spanId)
  })

  it('starts a new unsampled trace when traceparent is invalid, and ignores its tracestate', () => {
    const ctx = continueOrStartTrace(`ff-${TRACE}-${PARENT}-01`, 'congo=t61rcWkgMzE')
    expect(ctx.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(ctx.traceId).not.toBe(TRACE)
    expect(ctx).toMatchObject({ parentId: undefined, flags: '00', tracestate: undefined })
    expect(ctx.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(parseTraceparent(formatTraceparent(ctx))).toEqual({ traceId: ctx.traceId, parentId: ctx.spanId, flags: '00' })
  })

  it('generates distinct ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => continueOrStartTrace(undefined, undefined).traceId))
    expect(ids.size).toBe(1000)
  })

  it.each([
    ['a malformed member', 'congo=t61rcWkgMzE,Rojo=1'],
    ['a duplicate key', 'a=1,b=2,a=3'],
    ['a control character', 'a=1\u0001'],
    ['an empty value', 'a=,b=1'],
    ['a member without "="', 'a=1,b'],
    ['more than 32 members', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')],
    ['only separators', ' , ,'],
  ])('drops a tracestate with %s', (_, tracestate) => {
    expect(continueOrStartTrace(VALID, tracestate).tracestate).toBeUndefined()
  })

  it('keeps multi-tenant keys and skips empty members', () => {
    const members = Array.from({ length: 32 }, (_, i) => `t${i}@sys=v`)
    expect(continueOrStartTrace(VALID, `,${members.join(' ,\t')},`).tracestate).toBe(members.join(','))
  })
})

describe('formatTraceparent', () => {
  it('writes version 00', () => {
    expect(formatTraceparent({ traceId: TRACE, spanId: PARENT, flags: '01' })).toBe(VALID)
  })
})

describe('request ids', () => {
  it.each(['a', 'req-1', 'A.b_c:d@e/f+g=h-i', 'x'.repeat(128)])('accepts %s', (id) => {
    expect(isValidRequestId(id)).toBe(true)
  })

  it.each(['', 'x'.repeat(129), 'has space', 'new\nline', 'quote"', 'é', null, undefined])('rejects %j', (id) => {
    expect(isValidRequestId(id)).toBe(false)
  })

  it('generates UUIDs that are valid request ids', () => {
    const id = newRequestId()
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(isValidRequestId(id)).toBe(true)
    expect(newRequestId()).not.toBe(id)
  })

  it('keeps ids unique and well-formed across refills of the random pool', () => {
    const ids = new Set<string>()
    const traces = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const id = newRequestId()
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      ids.add(id)
      const trace = continueOrStartTrace(undefined, undefined)
      expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/)
      expect(trace.spanId).toMatch(/^[0-9a-f]{16}$/)
      traces.add(trace.traceId + trace.spanId)
    }
    expect(ids.size).toBe(2000)
    expect(traces.size).toBe(2000)
  })
})
