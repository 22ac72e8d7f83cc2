import { integerFlag, parseFlags, TLS_FLAGS, tlsFlags, UsageError } from '../../internal/shell/flags.ts'
import type { TlsArgs } from '../../internal/shell/flags.ts'
import { SCOPES } from './scopes.ts'

/** Command-line and environment options of a control gateway process. */
export interface ControlArgs {
  readonly hostname: string
  readonly port: number
  /** The metadata service's URL(s), where history and the current pointer live. */
  readonly metadataUrls: readonly string[]
  /** The audit log file. */
  readonly auditFile: string
  readonly jwtSecret: string | undefined
  readonly jwksFile: string | undefined
  readonly issuer: string | undefined
  readonly audience: string | undefined
  readonly callsPerSecond: number
  readonly drainDeadlineMs: number
  readonly debugToken: string | undefined
  /** HTTPS from PEM files (with `clientCaPath`, client certificates are asked for); undefined = cleartext. */
  readonly tls: TlsArgs | undefined
  /** Verified client certificate identity (SAN URI or `CN=name`) -> scopes. */
  readonly certScopes: ReadonlyMap<string, ReadonlySet<string>>
}

const FLAGS = [
  'port', 'host', 'metadata', 'audit-log', 'data', 'jwt-secret', 'jwks', 'issuer', 'audience', 'rate-limit', 'drain-deadline',
  ...TLS_FLAGS, 'cert-scopes',
] as const

/**
 * `--port N` (default 9090), `--host H` (default 127.0.0.1: the control plane is never on the
 * public interface unless asked), `--metadata URL[,URL]` (default `GATEHOUSE_METADATA_URL`, else
 * http://127.0.0.1:7103), `--data DIR` (default `.gatehouse/control`) holding `audit.log`
 * (`--audit-log FILE` overrides), `--jwt-secret S` (default `GATEHOUSE_CONTROL_JWT_SECRET`) and/or
 * `--jwks FILE` (default `GATEHOUSE_CONTROL_JWKS`): one is required; `--issuer`, `--audience`;
 * `--rate-limit N` calls per second per caller (default 20); `--drain-deadline MS` (default 5000).
 * `--tls-cert FILE --tls-key FILE` serve HTTPS; `--client-ca FILE` verifies client certificates
 * (`--client-cert optional|required`, default optional) and `--cert-scopes "ID=scope scope;ID2=scope"`
 * (default `GATEHOUSE_CONTROL_CERT_SCOPES`) says what each identity (a SAN URI, or `CN=name`) may do.
 */
export function parseControlArgs(argv: readonly string[], env: (name: string) => string | undefined): ControlArgs {
  const values = parseFlags(argv, FLAGS)
  const data = values.get('data') ?? '.gatehouse/control'
  const args: ControlArgs = {
    hostname: values.get('host') ?? '127.0.0.1',
    port: integerFlag('port', values.get('port') ?? '9090', 0, 65535),
    metadataUrls: (values.get('metadata') ?? env('GATEHOUSE_METADATA_URL') ?? 'http://127.0.0.1:7103').split(',').filter((u) => u !== ''),
    auditFile: values.get('audit-log') ?? `${data}/audit.log`,
    jwtSecret: values.get('jwt-secret') ?? (env('GATEHOUSE_CONTROL_JWT_SECRET') || undefined),
    jwksFile: values.get('jwks') ?? (env('GATEHOUSE_CONTROL_JWKS') || undefined),
    issuer: values.get('issuer'),
    audience: values.get('audience'),
    callsPerSecond: integerFlag('rate-limit', values.get('rate-limit') ?? '20', 1, 100_000),
    drainDeadlineMs: integerFlag('drain-deadline', values.get('drain-deadline') ?? '5000', 0, 3_600_000),
    debugToken: env('GATEHOUSE_DEBUG_TOKEN') || undefined,
    tls: tlsFlags(values),
    certScopes: certScopes(values.get('cert-scopes') ?? env('GATEHOUSE_CONTROL_CERT_SCOPES') ?? ''),
  }
  if (!args.jwtSecret && !args.jwksFile && args.certScopes.size === 0) {
    throw new UsageError('the control gateway needs --jwt-secret (or GATEHOUSE_CONTROL_JWT_SECRET), --jwks FILE, or --client-ca with --cert-scopes')
  }
  if (args.certScopes.size > 0 && args.tls?.clientCaPath === undefined) throw new UsageError('--cert-scopes needs --tls-cert, --tls-key and --client-ca')
  if (args.jwtSecret !== undefined && args.jwtSecret.length < 32) throw new UsageError('--jwt-secret must be at least 32 characters')
  for (const url of args.metadataUrls) {
    if (!URL.canParse(url)) throw new UsageError(`--metadata: not a URL: "${url}"`)
  }
  return args
}

/** `spiffe://example.org/ns/ops/sa/deployer=bundle:read bundle:write;CN=ci=bundle:read` (split at the last "="). */
function certScopes(text: string): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>()
  for (const entry of text.split(';').map((e) => e.trim()).filter((e) => e !== '')) {
    const at = entry.lastIndexOf('=')
    const identity = entry.slice(0, at).trim()
    const scopes = entry.slice(at + 1).split(/[\s,]+/).filter((x) => x !== '')
    if (at <= 0 || identity === '') throw new UsageError(`--cert-scopes: "${entry}" is not IDENTITY=SCOPES`)
    const unknown = scopes.find((x) => !(SCOPES as readonly string[]).includes(x))
    if (unknown !== undefined) throw new UsageError(`--cert-scopes: unknown scope "${unknown}" (scopes: ${SCOPES.join(', ')})`)
    map.set(identity, new Set(scopes))
  }
  return map
}
