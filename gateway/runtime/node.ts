import { createNodeRuntime } from '../../internal/shell/runtime/node.ts'
import { exitOnUsageError } from './exit-on-usage-error.ts'
import { startGateway } from './start.ts'

await startGateway(createNodeRuntime(), process.argv.slice(2)).catch(exitOnUsageError)
