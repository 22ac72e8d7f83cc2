import { ListenError } from '../../internal/shell/run.ts'
import { UsageError } from '../../internal/shell/flags.ts'

/**
 * Operator mistakes get one line, not a stack trace: a bad flag exits 2, a listener that cannot
 * open (port in use, no permission) exits 1. Anything else is a crash and is rethrown.
 */
export function exitOnStartupError(err: unknown): never {
  if (err instanceof UsageError || err instanceof ListenError) {
    console.error(`gatehouse: ${err.message}`)
    process.exit(err instanceof UsageError ? 2 : 1)
  }
  throw err
}
