import { describe, expect, it } from 'vitest'
import { GatewayError } from '../../../internal/shell/errors.ts'
import { applyDeadline, callerTimeoutMs, formatTimeout } from './deadline.ts'

const headers = (h: Record<string, string>) => new Headers(h)

describe('callerTimeoutMs', () => {
  it.each([
    ['1H', 3_600_000],
    ['2M', 120_000],
    ['3S', 3000],
    ['250m', 250],
    ['1500u', 2],
    ['1n', 1],
    ['99999999m', 99_999_999],
  ])('reads grpc-timeout %s as %i ms', (value, ms) => {
    expect(callerTimeoutMs(headers({ 'grpc-timeout': value }), 'grpc-timeout')).toBe(ms)
  })

  it.each(['', '5', '5s', '123456789m', '-1m', '1.5S', '5 S'])('refuses grpc-timeout %j with INVALID_ARGUMENT', (value) => {
    expect(() => callerTimeoutMs(headers({ 'grpc-timeout': value }), 'grpc-timeout')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('reads connect-timeout-ms, refusing anything but 1-10 digits', () => {
    expect(callerTimeoutMs(headers({ 'connect-timeout-ms': '1500' }), 'connect-timeout-ms')).toBe(1500)
    expect(callerTimeoutMs(headers({}), 'connect-timeout-ms')).toBeUndefined()
    for (const bad of ['1.5', '12345678901', 'soon', '1e3']) {
      expect(() => callerTimeoutMs(headers({ 'connect-timeout-ms': bad }), 'connect-timeout-ms')).toThrow(GatewayError)
    }
  })
})

describe('applyDeadline', () => {
  it('takes the smaller of the caller\'s and the route\'s, and sends it upstream in the caller\'s header', () => {
    const up = new Headers()
    expect(applyDeadline(headers({ 'grpc-timeout': '2S' }), up, 'grpc-timeout', 10_000)).toBe(2000)
    expect(up.get('grpc-timeout')).toBe('2000m')
    expect(applyDeadline(headers({ 'connect-timeout-ms': '60000' }), up, 'connect-timeout-ms', 5000)).toBe(5000)
    expect(up.get('connect-timeout-ms')).toBe('5000')
    expect(applyDeadline(headers({}), up, 'connect-timeout-ms', 7000)).toBe(7000)
    expect(up.get('connect-timeout-ms')).toBe('7000')
  })

  it('fails a call whose deadline is already gone with TIMEOUT', () => {
    expect(() => applyDeadline(headers({ 'grpc-timeout': '0S' }), new Headers(), 'grpc-timeout', 5000)).toThrow(expect.objectContaining({ code: 'TIMEOUT' }))
  })

  it('switches grpc-timeout to seconds past 8 digits of ms', () => {
    expect(formatTimeout(100_000_000, 'grpc-timeout')).toBe('100000S')
  })
})
