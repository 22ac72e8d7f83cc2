import { createDenoRuntime } from '../../internal/shell/runtime/deno.ts'
import { exitOnStartupError } from './exit-on-startup-error.ts'
import { startGateway } from './start.ts'

await startGateway(createDenoRuntime(), process.argv.slice(2)).catch(exitOnStartupError)
