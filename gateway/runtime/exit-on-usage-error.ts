import { UsageError } from '../src/options.ts'

/** A bad flag is the operator's mistake: say so in one line and exit 2; anything else is a crash. */
export function exitOnUsageError(err: unknown): never {
  if (err instanceof UsageError) {
    console.error(`gatehouse gateway: ${err.message}`)
    process.exit(2)
  }
  throw err
}
