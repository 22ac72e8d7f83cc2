import { exitOnStartupError } from '../../gateway/runtime/exit-on-startup-error.ts'
import { startControlGateway } from './start.ts'

await startControlGateway(process.argv.slice(2)).catch(exitOnStartupError)
