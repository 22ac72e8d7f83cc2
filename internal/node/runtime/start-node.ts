import { resolve } from 'node:path'
import pkg from '../../../package.json' with { type: 'json' }
import { UsageError } from '../../shell/flags.ts'
import { listenGrpc } from '../../shell/runtime/node-grpc.ts'
import { createNodeRuntime } from '../../shell/runtime/node.ts'
import { runRoleNode } from '../main.ts'
import { createTlsTransportFor } from '../../shell/runtime/tls-egress.ts'
import { readTlsFiles, withListeners } from '../../shell/runtime/tls-listeners.ts'
import { lockDataDir } from './data-lock.ts'
import type { RunningRoleNode } from '../main.ts'
import { parseRoleNodeArgs } from '../options.ts'
import { ROLES } from '../roles.ts'

/**
 * `gatehouse node --role R ...` on Node: the role on the shell's listener (HTTPS with `--tls-cert`,
 * mutual TLS with `--client-ca`), plus native gRPC (h2c) on `--grpc-port`.
 */
export async function startRoleNode(argv: readonly string[]): Promise<RunningRoleNode> {
  const node = createNodeRuntime()
  const args = parseRoleNodeArgs(argv, node.env)
  const role = ROLES.get(args.role)
  if (!role) throw new UsageError(`--role must be one of ${[...ROLES.keys()].join(', ')}, got "${args.role}"`)
  const tls = args.tls && (await readTlsFiles(args.tls))
  const runtime = withListeners(node, { tls })
  // The node's certificate is also its client identity east-west; peers are checked against the client CA.
  const egress = tls && createTlsTransportFor({ cert: tls.cert, key: tls.key, ca: tls.clientCa })
  const dataDir = resolve(args.dataDir)
  return runRoleNode(runtime, {
    role,
    dataDir,
    hostname: args.hostname,
    port: args.port,
    version: pkg.version,
    drainDeadlineMs: args.drainDeadlineMs,
    registryUrl: args.registryUrl,
    advertiseUrl: args.advertiseUrl,
    admission: args.admission,
    lockDataDir,
    https: tls !== undefined,
    transportFor: egress?.transportFor,
    extraListeners: async (opened) => {
      if (args.grpcPort === undefined) return []
      const grpc = await listenGrpc(opened.routes, args.hostname, args.grpcPort)
      runtime.writeStdout(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', node: role.name, msg: 'grpc listening', url: `http://${args.hostname}:${grpc.port}` })}\n`)
      return [grpc]
    },
  })
}
