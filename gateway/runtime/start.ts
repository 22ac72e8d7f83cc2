import pkg from '../../package.json' with { type: 'json' }
import type { Runtime } from '../../internal/shell/runtime/types.ts'
import { runGateway } from '../src/main.ts'
import type { GatewayMainOptions, RunningGateway } from '../src/main.ts'
import { parseGatewayArgs } from '../src/options.ts'
import { readBundleDir } from './bundle-files.ts'
import { watchPolicyDir } from './watch-dir.ts'

/** Parses the arguments and runs the gateway on `runtime`, policies read from a directory. */
export async function startGateway(
  runtime: Runtime,
  argv: readonly string[],
  extra: Pick<GatewayMainOptions, 'onStopped'> = {},
): Promise<RunningGateway> {
  const args = parseGatewayArgs(argv, runtime.env)
  return runGateway(runtime, {
    policies: {
      name: args.policiesDir,
      read: () => readBundleDir(args.policiesDir),
      watch: (onChange) => watchPolicyDir(args.policiesDir, args.watchIntervalMs, onChange),
    },
    hostname: args.hostname,
    port: args.port,
    version: pkg.version,
    debugToken: args.debugToken,
    accessLog: args.accessLog,
    drainDeadlineMs: args.drainDeadlineMs,
    admission: args.admission,
    ...extra,
  })
}
