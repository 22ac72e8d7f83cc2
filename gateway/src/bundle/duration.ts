import { z } from 'zod'

/** `250ms`, `5s`, `1.5s`, `2m`, `1h`, or a sequence of them (`1m30s`). */
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }

/** Milliseconds (rounded) of a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined
  let ms = 0
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0)
  return Math.round(ms)
}

/** The shortest duration string for a number of milliseconds: 30000 -> `30s`, 90000 -> `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0ms'
  let rest = ms
  let out = ''
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit] ?? 1
    const count = Math.floor(rest / size)
    if (count > 0) out += `${count}${unit}`
    rest -= count * size
  }
  return out
}

/** A positive duration written as a string, output in milliseconds; at most `maxMs`. */
export function durationSchema(maxMs: number): z.ZodType<number, string> {
  return z
    .string({
      error: (issue) =>
        typeof issue.input === 'number' ? `expected a duration with a unit (write ${issue.input}s, not ${issue.input})` : undefined,
    })
    .regex(DURATION, { error: (issue) => `invalid duration ${JSON.stringify(issue.input)} (write e.g. 250ms, 5s, 1.5s, 2m or 1h)` })
    .meta({ examples: ['250ms', '5s', '1.5s', '2m'] })
    .transform((text, ctx) => {
      const ms = parseDuration(text) ?? 0
      if (ms <= 0) ctx.issues.push({ code: 'custom', input: text, message: 'must be a positive duration' })
      else if (ms > maxMs) ctx.issues.push({ code: 'custom', input: text, message: `must be at most ${formatDuration(maxMs)}` })
      return ms
    })
}

/** Timeouts: positive, at most one hour. */
export const Timeout = durationSchema(3_600_000)
