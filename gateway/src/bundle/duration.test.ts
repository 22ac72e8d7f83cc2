import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration, Timeout } from './duration.ts'

describe('durations', () => {
  it('parses units and sequences to milliseconds', () => {
    expect(['250ms', '5s', '1.5s', '2m', '1h', '1m30s'].map(parseDuration)).toEqual([250, 5000, 1500, 120_000, 3_600_000, 90_000])
    expect(['5', '5 s', 's', '-1s', '1d', ''].map(parseDuration)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined])
  })

  it('formats milliseconds back to the shortest string', () => {
    expect([30_000, 250, 1500, 90_000, 3_600_000].map(formatDuration)).toEqual(['30s', '250ms', '1s500ms', '1m30s', '1h'])
  })

  it('validates timeouts: strings only, positive, at most 1h', () => {
    expect(Timeout.parse('10s')).toBe(10_000)
    expect(Timeout.safeParse(5).error?.issues[0]?.message).toBe('expected a duration with a unit (write 5s, not 5)')
    expect(Timeout.safeParse('0ms').error?.issues[0]?.message).toBe('must be a positive duration')
    expect(Timeout.safeParse('61m').error?.issues[0]?.message).toBe('must be at most 1h')
  })
})
