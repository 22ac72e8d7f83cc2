import pkg from '../../package.json' with { type: 'json' }
import { readTlsFiles, readUpstreamTlsFiles, withListeners } from '../../internal/shell/runtime/tls-listeners.ts'
import type { Runtime } from '../../internal/shell/runtime/types.ts'
import { runGateway } from '../src/main.ts'
import type { GatewayMainOptions, RunningGateway } from '../src/main.ts'
import { parseGatewayArgs } from '../src/options.ts'
import { controlSourceFor } from '../src/control/from-args.ts'
import { readBundleDir } from './bundle-files.ts'
import { watchPolicyDir } from './watch-dir.ts'

/** Parses the arguments and runs the gateway on `runtime`, policies read from a directory. */
export async function startGateway(
  runtime: Runtime,
  argv: readonly string[],
  extra: Pick<GatewayMainOptions, 'onStopped'> = {},
): Promise<RunningGateway> {
  const args = parseGatewayArgs(argv, runtime.env)
  const listeners = withListeners(runtime, {
    tls: args.tls && (await readTlsFiles(args.tls)),
    grpcPort: args.grpcPort,
    onGrpcListening: (url) =>
      runtime.writeStdout(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', node: 'gateway', msg: 'grpc listening', url })}\n`),
  })
  return runGateway(listeners, {
    policies: args.controlUrl
      ? controlSourceFor(args.controlUrl, args.label, runtime, () => process.kill(process.pid, 'SIGTERM'))
      : {
          name: args.policiesDir,
          read: () => readBundleDir(args.policiesDir),
          watch: (onChange, extraFiles) => watchPolicyDir(args.policiesDir, args.watchIntervalMs, onChange, extraFiles),
        },
    hostname: args.hostname,
    port: args.port,
    scheme: args.tls ? 'https' : 'http',
    version: pkg.version,
    debugToken: args.debugToken,
    accessLog: args.accessLog,
    drainDeadlineMs: args.drainDeadlineMs,
    admission: args.admission,
    http: args.upstreamTls && runtime.httpWithTls(await readUpstreamTlsFiles(args.upstreamTls)),
    ...extra,
  })
}
