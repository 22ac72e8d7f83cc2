import { ListenError } from '../../internal/shell/run.ts'
import { UsageError } from '../../internal/shell/flags.ts'
import { DataDirInUseError } from '../../internal/node/runtime/data-lock.ts'

/**
 * Operator mistakes get one line, not a stack trace: a bad flag exits 2, a listener that cannot
 * open (port in use, no permission) or a data directory held by another node exits 1. Anything else is a crash and is rethrown.
 */
export function exitOnStartupError(err: unknown): never {
  if (err instanceof UsageError || err instanceof ListenError || err instanceof DataDirInUseError) {
    console.error(`gatehouse: ${err.message}`)
    process.exit(err instanceof UsageError ? 2 : 1)
  }
  throw err
}
