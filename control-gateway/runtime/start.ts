import { readFile } from 'node:fs/promises'
import { createClient } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'
import type { JSONWebKeySet } from 'jose'
import pkg from '../../package.json' with { type: 'json' }
import { createEgressTransport, createStaticEndpoints } from '../../internal/shell/egress/index.ts'
import { createNodeRuntime } from '../../internal/shell/runtime/node.ts'
import { readTlsFiles, withListeners } from '../../internal/shell/runtime/tls-listeners.ts'
import { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { runControlGateway } from '../src/main.ts'
import type { ControlMainOptions, RunningControlGateway } from '../src/main.ts'
import { parseControlArgs } from '../src/options.ts'
import { openAuditFile } from './audit-file.ts'

/** `gatehouse control ...` on Node: the audit log on local disk, the metadata service through the egress client. */
export async function startControlGateway(
  argv: readonly string[],
  extra: Pick<ControlMainOptions, 'standalone'> = {},
): Promise<RunningControlGateway> {
  const runtime = createNodeRuntime()
  const args = parseControlArgs(argv, runtime.env)
  const jwks = args.jwksFile ? (JSON.parse(await readFile(args.jwksFile, 'utf8')) as JSONWebKeySet) : undefined
  const tls = args.tls && (await readTlsFiles(args.tls))
  const audit = await openAuditFile(args.auditFile)
  const metadataTransport = createEgressTransport({
    name: 'metadata',
    endpoints: createStaticEndpoints([...args.metadataUrls]),
    transportFor: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: true }),
  })
  return runControlGateway(withListeners(runtime, { tls }), {
    secure: tls !== undefined,
    hostname: args.hostname,
    port: args.port,
    version: pkg.version,
    metadata: createClient(MetadataService, metadataTransport),
    auth: { secret: args.jwtSecret, jwks, issuer: args.issuer, audience: args.audience, certificates: args.certScopes },
    audit,
    callsPerSecond: args.callsPerSecond,
    debugToken: args.debugToken,
    drainDeadlineMs: args.drainDeadlineMs,
    onStopped: async () => {
      metadataTransport.close()
      await audit.close()
    },
    ...extra,
  })
}
