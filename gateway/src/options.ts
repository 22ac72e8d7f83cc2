import { ADMISSION_FLAGS, admissionFlags, integerFlag, parseFlags, TLS_FLAGS, tlsFlags, UPSTREAM_TLS_FLAGS, upstreamTlsFlags, UsageError } from '../../internal/shell/flags.ts'
import type { AdmissionArgs, TlsArgs, UpstreamTlsArgs } from '../../internal/shell/flags.ts'

/** Command-line and environment options of a gateway process (shared by the three runtime entries). */
export interface GatewayArgs {
  readonly policiesDir: string
  readonly hostname: string
  readonly port: number
  readonly accessLog: boolean
  readonly drainDeadlineMs: number
  readonly watchIntervalMs: number
  readonly debugToken: string | undefined
  /** Process-wide admission; undefined = off (`--max-concurrency 0`). */
  readonly admission: AdmissionArgs | undefined
  /** HTTPS (and TLS on the gRPC port) from PEM files; undefined = cleartext. */
  readonly tls: TlsArgs | undefined
  /** This gateway's certificate and trusted CAs toward `https://` upstreams; undefined = defaults. */
  readonly upstreamTls: UpstreamTlsArgs | undefined
  /** The native gRPC ingress port (HTTP/2); undefined = none. */
  readonly grpcPort: number | undefined
  /** Subscribe to this control gateway instead of watching `policiesDir`; undefined = files. */
  readonly controlUrl: string | undefined
  /** This gateway's label for canary rollouts (with `controlUrl`). */
  readonly label: string
}

const FLAGS = [
  'policies',
  'port',
  'host',
  'access-log',
  'drain-deadline',
  'watch-interval',
  ...ADMISSION_FLAGS,
  ...TLS_FLAGS,
  ...UPSTREAM_TLS_FLAGS,
  'grpc-port',
  'control',
  'label',
] as const

/**
 * `--policies DIR` (default `policies`), `--port N` (default `PORT` or 8080), `--host H`
 * (default `HOST` or 127.0.0.1), `--access-log on|off`, `--drain-deadline MS` (default 30000),
 * `--watch-interval MS` (default 500; a change applies after two polls, 0 = no watching). `GATEHOUSE_DEBUG_TOKEN` enables /debug/*.
 * `--max-concurrency N`, `--max-queue N`, `--max-queue-wait MS`: see `admissionFlags`.
 * `--tls-cert`, `--tls-key`, `--client-ca`, `--client-cert`: see `tlsFlags`. `--grpc-port N`: native gRPC ingress.
 * `--upstream-cert`, `--upstream-key`, `--upstream-ca`: see `upstreamTlsFlags`.
 */
export function parseGatewayArgs(argv: readonly string[], env: (name: string) => string | undefined): GatewayArgs {
  const values = parseFlags(argv, FLAGS)
  return {
    policiesDir: values.get('policies') ?? 'policies',
    hostname: values.get('host') ?? env('HOST') ?? '127.0.0.1',
    port: integerFlag('port', values.get('port') ?? env('PORT') ?? '8080', 0, 65535),
    accessLog: onOff('access-log', values.get('access-log') ?? 'on'),
    drainDeadlineMs: integerFlag('drain-deadline', values.get('drain-deadline') ?? '30000', 0, 3_600_000),
    watchIntervalMs: integerFlag('watch-interval', values.get('watch-interval') ?? '500', 0, 3_600_000),
    debugToken: env('GATEHOUSE_DEBUG_TOKEN') || undefined,
    admission: admissionFlags(values),
    tls: tlsFlags(values),
    upstreamTls: upstreamTlsFlags(values),
    grpcPort: values.has('grpc-port') ? integerFlag('grpc-port', values.get('grpc-port') ?? '', 0, 65535) : undefined,
    ...controlArgs(values, env),
  }
}

/**
 * `--control URL` (default `GATEHOUSE_CONTROL_URL`): take bundles from that control gateway (token in
 * `GATEHOUSE_CONTROL_TOKEN`, node id `GATEHOUSE_NODE_ID`) instead of the directory; `--label L`
 * (default `GATEHOUSE_LABEL`): the canary label.
 */
function controlArgs(values: ReadonlyMap<string, string>, env: (name: string) => string | undefined): Pick<GatewayArgs, 'controlUrl' | 'label'> {
  const controlUrl = values.get('control') ?? (env('GATEHOUSE_CONTROL_URL') || undefined)
  const label = values.get('label') ?? env('GATEHOUSE_LABEL') ?? ''
  if (controlUrl !== undefined && !URL.canParse(controlUrl)) throw new UsageError(`--control must be a URL, got "${controlUrl}"`)
  if (!/^[A-Za-z0-9._:-]{0,63}$/.test(label)) throw new UsageError(`--label must be up to 63 of [A-Za-z0-9._:-], got "${label}"`)
  if (label !== '' && controlUrl === undefined) throw new UsageError('--label needs --control')
  return { controlUrl, label }
}

function onOff(flag: string, text: string): boolean {
  if (text !== 'on' && text !== 'off') throw new UsageError(`--${flag} must be "on" or "off", got "${text}"`)
  return text === 'on'
}
