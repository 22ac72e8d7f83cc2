import { createNodeRuntime } from '../../internal/shell/runtime/node.ts'
import { exitOnStartupError } from './exit-on-startup-error.ts'
import { startGateway } from './start.ts'

await startGateway(createNodeRuntime(), process.argv.slice(2)).catch(exitOnStartupError)
