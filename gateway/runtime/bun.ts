import { createBunRuntime } from '../../internal/shell/runtime/bun.ts'
import { exitOnStartupError } from './exit-on-startup-error.ts'
import { startGateway } from './start.ts'

await startGateway(createBunRuntime(), process.argv.slice(2)).catch(exitOnStartupError)
