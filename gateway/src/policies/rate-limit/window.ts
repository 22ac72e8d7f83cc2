import { z } from 'zod'
import { formatDuration, parseDuration } from '../../bundle/duration.ts'

const DAY_MS = 86_400_000
/** The bundle's durations plus days (`1d`, `30d`, `1d12h`): quotas are counted in days. */
const WINDOW = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/
const DAYS = /(\d+(?:\.\d+)?)d/g

/** Milliseconds of a window string (`30d`, `24h`, `1s`), or undefined when it is not one. */
export function parseWindow(text: string): number | undefined {
  if (!WINDOW.test(text)) return undefined
  let days = 0
  const rest = text.replace(DAYS, (_, n: string) => {
    days += Number(n)
    return ''
  })
  const ms = rest === '' ? 0 : parseDuration(rest)
  return ms === undefined ? undefined : Math.round(days * DAY_MS + ms)
}

/** A positive window length written as a string (`1s`, `1m`, `24h`, `30d`), output in milliseconds; at most `maxMs`. */
export function windowSchema(maxMs: number): z.ZodType<number, string> {
  return z
    .string({
      error: (issue) =>
        typeof issue.input === 'number' ? `expected a duration with a unit (write ${issue.input}s, not ${issue.input})` : undefined,
    })
    .regex(WINDOW, { error: (issue) => `invalid window ${JSON.stringify(issue.input)} (write e.g. 1s, 1m, 24h or 30d)` })
    .meta({ examples: ['1s', '1m', '24h', '30d'] })
    .transform((text, ctx) => {
      const ms = parseWindow(text) ?? 0
      if (ms <= 0) ctx.issues.push({ code: 'custom', input: text, message: 'must be a positive duration' })
      else if (ms > maxMs) ctx.issues.push({ code: 'custom', input: text, message: `must be at most ${maxMs / DAY_MS}d (${formatDuration(maxMs)})` })
      return ms
    })
}
