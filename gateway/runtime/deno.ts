import { createDenoRuntime } from '../../internal/shell/runtime/deno.ts'
import { exitOnUsageError } from './exit-on-usage-error.ts'
import { startGateway } from './start.ts'

await startGateway(createDenoRuntime(), process.argv.slice(2)).catch(exitOnUsageError)
