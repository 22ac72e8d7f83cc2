/** Command-line flags shared by every node's entry: `--name value` or `--name=value`, nothing else. */

/** A bad flag: the operator's mistake, reported in one line (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** Reads `--flag value` / `--flag=value` pairs; anything else (or a missing value) is a UsageError. */
export function parseFlags<F extends string>(argv: readonly string[], flags: readonly F[]): Map<F, string> {
  const values = new Map<F, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const [rawName, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s, 2) : [undefined, undefined]
    const name = flags.find((f) => f === rawName)
    if (!name) throw new UsageError(`unknown argument "${arg}" (flags: ${flags.map((f) => `--${f}`).join(', ')})`)
    const value = inline ?? argv[++i]
    if (value === undefined) throw new UsageError(`--${name} needs a value`)
    values.set(name, value)
  }
  return values
}

/** A whole number within bounds, or a UsageError naming the flag. */
export function integerFlag(flag: string, text: string, min: number, max: number): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${text}"`)
  return n
}

/** Process-wide admission: at most `maxConcurrent` requests run, `maxQueue` wait up to `maxWaitMs`. */
export interface AdmissionArgs {
  readonly maxConcurrent: number
  readonly maxQueue: number
  readonly maxWaitMs: number
  /** Adapt the limit to latency, not below this; undefined = a fixed limit. */
  readonly adaptive?: { readonly min: number } | undefined
}

/** The admission flags every node takes; add them to the node's flag list. */
export const ADMISSION_FLAGS = ['max-concurrency', 'max-queue', 'max-queue-wait', 'adaptive-min'] as const

/**
 * `--max-concurrency N` (default 0 = no process-wide limit), `--max-queue N` (default 2 × N),
 * `--max-queue-wait MS` (default 1000): requests past them get 503 OVERLOADED with Retry-After;
 * `--adaptive-min N`: the limit adapts to latency between N and `--max-concurrency`.
 * Undefined when there is no limit.
 */
export function admissionFlags(values: ReadonlyMap<string, string>): AdmissionArgs | undefined {
  const maxConcurrent = integerFlag('max-concurrency', values.get('max-concurrency') ?? '0', 0, 1_000_000)
  const maxQueue = integerFlag('max-queue', values.get('max-queue') ?? String(2 * maxConcurrent), 0, 1_000_000)
  const maxWaitMs = integerFlag('max-queue-wait', values.get('max-queue-wait') ?? '1000', 0, 60_000)
  const adaptiveMin = values.get('adaptive-min')
  if (adaptiveMin !== undefined && maxConcurrent === 0) throw new UsageError('--adaptive-min needs --max-concurrency')
  const adaptive = adaptiveMin === undefined ? undefined : { min: integerFlag('adaptive-min', adaptiveMin, 1, maxConcurrent) }
  return maxConcurrent > 0 ? { maxConcurrent, maxQueue, maxWaitMs, adaptive } : undefined
}

/** Paths of a listener's PEM files, read at start (runtime/tls-listeners.ts readTlsFiles). */
export interface TlsArgs {
  readonly certPath: string
  readonly keyPath: string
  /** Client CA bundle; with it the listener asks for client certificates. */
  readonly clientCaPath: string | undefined
  readonly clientCert: 'optional' | 'required'
}

/** The TLS flags every node takes; add them to the node's flag list. */
export const TLS_FLAGS = ['tls-cert', 'tls-key', 'client-ca', 'client-cert'] as const

/**
 * `--tls-cert FILE --tls-key FILE` (PEM) serve HTTPS; `--client-ca FILE` asks for client
 * certificates, `--client-cert optional|required` (default optional). Undefined = cleartext.
 */
export function tlsFlags(values: ReadonlyMap<string, string>): TlsArgs | undefined {
  const certPath = values.get('tls-cert')
  const keyPath = values.get('tls-key')
  const clientCaPath = values.get('client-ca')
  const clientCert = values.get('client-cert')
  if ((certPath === undefined) !== (keyPath === undefined)) throw new UsageError('--tls-cert and --tls-key go together')
  if (clientCert !== undefined && clientCert !== 'optional' && clientCert !== 'required') {
    throw new UsageError(`--client-cert must be "optional" or "required", got "${clientCert}"`)
  }
  if (clientCert !== undefined && clientCaPath === undefined) throw new UsageError('--client-cert needs --client-ca')
  if (certPath === undefined || keyPath === undefined) {
    if (clientCaPath !== undefined) throw new UsageError('--client-ca needs --tls-cert and --tls-key')
    return undefined
  }
  return { certPath, keyPath, clientCaPath, clientCert: clientCert ?? 'optional' }
}

/** PEM files of a node's client side toward HTTPS upstreams (read at start like `TlsArgs`). */
export interface UpstreamTlsArgs {
  /** This node's certificate and key, presented to upstreams that ask (both or neither). */
  readonly certPath: string | undefined
  readonly keyPath: string | undefined
  /** CAs that sign the upstreams' server certificates (absent = the system's roots). */
  readonly caPath: string | undefined
}

/** The upstream TLS flags of a node that forwards to others (the gateway). */
export const UPSTREAM_TLS_FLAGS = ['upstream-cert', 'upstream-key', 'upstream-ca'] as const

/**
 * `--upstream-cert FILE --upstream-key FILE` (PEM): the certificate this node presents to `https://`
 * upstreams (mutual TLS east-west); `--upstream-ca FILE`: the CAs it trusts for them. Undefined = none.
 */
export function upstreamTlsFlags(values: ReadonlyMap<string, string>): UpstreamTlsArgs | undefined {
  const certPath = values.get('upstream-cert')
  const keyPath = values.get('upstream-key')
  const caPath = values.get('upstream-ca')
  if ((certPath === undefined) !== (keyPath === undefined)) throw new UsageError('--upstream-cert and --upstream-key go together')
  return certPath === undefined && caPath === undefined ? undefined : { certPath, keyPath, caPath }
}
