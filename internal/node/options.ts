import { ADMISSION_FLAGS, admissionFlags, integerFlag, parseFlags, TLS_FLAGS, tlsFlags, UsageError } from '../shell/flags.ts'
import type { AdmissionArgs, TlsArgs } from '../shell/flags.ts'

export interface RoleNodeArgs {
  readonly role: string
  readonly hostname: string
  readonly port: number
  /** Native gRPC (h2c) port, Node only; undefined = no gRPC listener. */
  readonly grpcPort: number | undefined
  readonly dataDir: string
  readonly drainDeadlineMs: number
  /** The metadata node's URL, to join its service registry; undefined = stay out of it. */
  readonly registryUrl: string | undefined
  /** The URL peers use to reach this node (registry, NOT_LEADER); default `http://host:port`. */
  readonly advertiseUrl: string | undefined
  /** Process-wide admission on the node's listener; undefined = off. */
  readonly admission: AdmissionArgs | undefined
  /**
   * HTTPS with this identity; with a client CA, peers must (or may) present certificates, and the
   * node presents its own certificate on its east-west calls, trusting the same CA for its peers.
   */
  readonly tls: TlsArgs | undefined
}

const FLAGS = ['role', 'port', 'host', 'grpc-port', 'data', 'drain-deadline', 'registry', 'advertise', ...ADMISSION_FLAGS, ...TLS_FLAGS] as const

/**
 * `--role R` (required), `--port N` (default `PORT` or 0 = any free port), `--host H`
 * (default 127.0.0.1), `--grpc-port N`, `--data DIR` (default `.gatehouse/<role>`),
 * `--drain-deadline MS` (default 30000), `--registry URL` (default `GATEHOUSE_REGISTRY_URL`; a
 * metadata node whose registry this node joins), `--advertise URL` (default
 * `GATEHOUSE_ADVERTISE_URL`, else the listening address: set it when listening on 0.0.0.0),
 * `--max-concurrency N`, `--max-queue N`, `--max-queue-wait MS` (see `admissionFlags`),
 * `--tls-cert`, `--tls-key`, `--client-ca`, `--client-cert` (see `tlsFlags`).
 */
export function parseRoleNodeArgs(argv: readonly string[], env: (name: string) => string | undefined): RoleNodeArgs {
  const values = parseFlags(argv, FLAGS)
  const role = values.get('role')
  if (!role) throw new UsageError('--role is required')
  const grpc = values.get('grpc-port')
  return {
    role,
    hostname: values.get('host') ?? env('HOST') ?? '127.0.0.1',
    port: integerFlag('port', values.get('port') ?? env('PORT') ?? '0', 0, 65535),
    grpcPort: grpc === undefined ? undefined : integerFlag('grpc-port', grpc, 0, 65535),
    dataDir: values.get('data') ?? `.gatehouse/${role}`,
    drainDeadlineMs: integerFlag('drain-deadline', values.get('drain-deadline') ?? '30000', 0, 3_600_000),
    registryUrl: values.get('registry') ?? env('GATEHOUSE_REGISTRY_URL'),
    advertiseUrl: values.get('advertise') ?? env('GATEHOUSE_ADVERTISE_URL'),
    admission: admissionFlags(values),
    tls: tlsFlags(values),
  }
}

