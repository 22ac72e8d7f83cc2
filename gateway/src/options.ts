import { integerFlag, parseFlags, UsageError } from '../../internal/shell/flags.ts'

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
  readonly admission: { readonly maxConcurrent: number; readonly maxQueue: number; readonly maxWaitMs: number } | undefined
}

const FLAGS = [
  'policies',
  'port',
  'host',
  'access-log',
  'drain-deadline',
  'watch-interval',
  'max-concurrency',
  'max-queue',
  'max-queue-wait',
] as const

/**
 * `--policies DIR` (default `policies`), `--port N` (default `PORT` or 8080), `--host H`
 * (default `HOST` or 127.0.0.1), `--access-log on|off`, `--drain-deadline MS` (default 30000),
 * `--watch-interval MS` (default 500; a change applies after two polls, 0 = no watching). `GATEHOUSE_DEBUG_TOKEN` enables /debug/*.
 * `--max-concurrency N` (default 0 = no process-wide limit), `--max-queue N` (default 2 × N),
 * `--max-queue-wait MS` (default 1000): requests past them get 503 OVERLOADED with Retry-After.
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
    admission: admissionArgs(values),
  }
}

function admissionArgs(values: ReadonlyMap<string, string>): GatewayArgs['admission'] {
  const maxConcurrent = integerFlag('max-concurrency', values.get('max-concurrency') ?? '0', 0, 1_000_000)
  const maxQueue = integerFlag('max-queue', values.get('max-queue') ?? String(2 * maxConcurrent), 0, 1_000_000)
  const maxWaitMs = integerFlag('max-queue-wait', values.get('max-queue-wait') ?? '1000', 0, 60_000)
  return maxConcurrent > 0 ? { maxConcurrent, maxQueue, maxWaitMs } : undefined
}

function onOff(flag: string, text: string): boolean {
  if (text !== 'on' && text !== 'off') throw new UsageError(`--${flag} must be "on" or "off", got "${text}"`)
  return text === 'on'
}
