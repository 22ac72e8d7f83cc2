/** Command-line flags shared by every node's entry: `--name value` or `--name=value`, nothing else. */

/** A bad flag: the operator's mistake, reported in one line (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** Reads `--flag value` / `--flag=value` pairs; anything else (or a missing value) is a UsageError. */
export function parseFlags<F extends string>(argv: readonly string[], flags: readonly F[]): Map<F, string> {
  const values = new Map<F, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const [rawName, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s, 2) : [undefined, undefined]
    const name = flags.find((f) => f === rawName)
    if (!name) throw new UsageError(`unknown argument "${arg}" (flags: ${flags.map((f) => `--${f}`).join(', ')})`)
    const value = inline ?? argv[++i]
    if (value === undefined) throw new UsageError(`--${name} needs a value`)
    values.set(name, value)
  }
  return values
}

/** A whole number within bounds, or a UsageError naming the flag. */
export function integerFlag(flag: string, text: string, min: number, max: number): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${text}"`)
  return n
}
