import { describe, expect, it } from 'vitest'
import { parseWindow, windowSchema } from './window.ts'

describe('rate-limit windows', () => {
  it.each([
    ['1s', 1_000],
    ['250ms', 250],
    ['1d', 86_400_000],
    ['30d', 30 * 86_400_000],
    ['1d12h', 36 * 3_600_000],
    ['1.5d', 36 * 3_600_000],
    ['24h', 86_400_000],
  ])('reads %s', (text, ms) => {
    expect(parseWindow(text)).toBe(ms)
  })

  it.each(['', '1', 'd', '1w', '1 d', '-1d'])('refuses %j', (text) => {
    expect(parseWindow(text)).toBeUndefined()
  })

  it('bounds a window and says why', () => {
    const month = windowSchema(31 * 86_400_000)
    expect(month.safeParse('31d').success).toBe(true)
    expect(month.safeParse('32d').error?.issues[0]?.message).toBe('must be at most 31d (744h)')
    expect(month.safeParse('0d').error?.issues[0]?.message).toBe('must be a positive duration')
    expect(month.safeParse(60).error?.issues[0]?.message).toBe('expected a duration with a unit (write 60s, not 60)')
  })
})
