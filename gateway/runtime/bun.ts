import { createBunRuntime } from '../../internal/shell/runtime/bun.ts'
import { exitOnUsageError } from './exit-on-usage-error.ts'
import { startGateway } from './start.ts'

await startGateway(createBunRuntime(), process.argv.slice(2)).catch(exitOnUsageError)
