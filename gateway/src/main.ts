import { createBatchingSink } from '../../internal/shell/access-log.ts'
import type { HttpExchange } from '../../internal/shell/http-client.ts'
import { runNode } from '../../internal/shell/run.ts'
import type { Listener, Runtime } from '../../internal/shell/runtime/types.ts'
import { createShell } from '../../internal/shell/shell.ts'
import type { Shell, ShellOptions } from '../../internal/shell/shell.ts'
import { createGateway } from './app.ts'
import type { Gateway } from './app.ts'
import { formatProblem } from './bundle/format.ts'
import { BundleError, loadBundle } from './bundle/load.ts'
import type { SourceFile } from './bundle/types.ts'
import type { GatewayVariables } from './env.ts'
import { closeRedisConnections } from './stores/redis.ts'

/** Where the policy files come from (a directory today; the control gateway's stream later). */
export interface BundleSource {
  /** For logs, e.g. the directory. */
  readonly name: string
  read(): Promise<SourceFile[]>
  /**
   * Calls `onChange` after the files changed, or one of `extraFiles()` (files the served bundle's
   * policies read: JWKS, API keys) did; returns a function that stops watching.
   */
  watch(onChange: () => void, extraFiles?: () => readonly string[]): () => void
  /** Told after every load: the hash now served, and why the files read were refused (control gateway). */
  report?(status: BundleReport): void
}

/** The outcome of one load of a BundleSource's files. */
export interface BundleReport {
  /** The hash being served after the load (undefined: none). */
  readonly running: string | undefined
  /** Empty when the files read were applied; else `file:line:column: message` lines. */
  readonly problems: readonly string[]
}

export interface GatewayMainOptions {
  readonly policies: BundleSource
  readonly hostname: string
  readonly port: number
  readonly version: string
  /** How the listener is reached (`https` when the runtime entry serves TLS); for the log. Default http. */
  readonly scheme?: 'http' | 'https'
  readonly debugToken?: string | undefined
  readonly accessLog?: boolean
  readonly drainDeadlineMs?: number
  /** Process-wide concurrency limit with a bounded queue (absent = none). */
  readonly admission?: ShellOptions['admission']
  /** The egress client for upstreams (default: the runtime's), e.g. one presenting a client certificate. */
  readonly http?: HttpExchange | undefined
  /** Runs after the drain, before exit (e.g. stop a co-hosted demo upstream). */
  readonly onStopped?: () => Promise<void> | void
}

export interface RunningGateway {
  readonly shell: Shell<GatewayVariables>
  readonly gateway: Gateway
  readonly listener: Listener
  /** Reads and applies the bundle now; resolves true when it was applied. */
  reload(): Promise<boolean>
}

/**
 * The edge gateway as a process: serve, load the bundle (not ready until one is valid), hot
 * reload on change (a broken bundle is refused and logged; the old one keeps serving), drain
 * on SIGTERM/SIGINT.
 */
export async function runGateway(runtime: Runtime, options: GatewayMainOptions): Promise<RunningGateway> {
  const sink = createBatchingSink(runtime.writeStdout)
  const shell = createShell<GatewayVariables>({
    node: 'gateway',
    runtime,
    version: options.version,
    sink,
    debugToken: options.debugToken,
    accessLog: options.accessLog ?? true,
    admission: options.admission,
  })
  const gateway = createGateway(shell, options.http ?? runtime.http)
  const bundleInfo = shell.metrics.gauge('gatehouse_bundle_info', 'The policy bundle being served', ['hash'])
  const reloads = shell.metrics.counter('gatehouse_bundle_reloads_total', 'Bundle loads, by result', ['result'])

  const apply = async (): Promise<boolean> => {
    try {
      const bundle = await loadBundle(await options.policies.read())
      // The same YAML is the same gateway unless its policies read files, which may have changed.
      if (bundle.hash === gateway.current?.bundle.hash && gateway.current.files.length === 0) {
        options.policies.report?.({ running: bundle.hash, problems: [] })
        return true
      }
      const previous = gateway.current?.bundle.hash
      gateway.apply(bundle)
      bundleInfo.reset()
      bundleInfo.set(1, { hash: bundle.hash })
      reloads.inc({ result: 'applied' })
      shell.log.info('bundle applied', { hash: bundle.hash, previous, routes: bundle.routes.length, files: bundle.files })
      options.policies.report?.({ running: bundle.hash, problems: [] })
      return true
    } catch (err) {
      reloads.inc({ result: 'refused' })
      const problems = err instanceof BundleError ? err.problems.map(formatProblem) : [String(err)]
      shell.log.warn(gateway.current ? 'bundle refused; still serving the previous one' : 'bundle refused', {
        source: options.policies.name,
        serving: gateway.current?.bundle.hash,
        problems,
      })
      options.policies.report?.({ running: gateway.current?.bundle.hash, problems })
      return false
    }
  }

  // Reloads are serialised; changes that arrive during one are folded into a single follow-up.
  let running: Promise<boolean> | undefined
  let again = false
  const reload = async (): Promise<boolean> => {
    if (running) {
      again = true
      return running
    }
    running = apply()
    try {
      return await running
    } finally {
      running = undefined
      if (again) {
        again = false
        void reload()
      }
    }
  }

  await reload()
  const stopWatching = options.policies.watch(() => void reload(), () => gateway.current?.files ?? [])
  const listener = await runNode(runtime, shell, {
    hostname: options.hostname,
    port: options.port,
    drainDeadlineMs: options.drainDeadlineMs,
    onStopped: async () => {
      stopWatching()
      await options.onStopped?.()
      await closeRedisConnections()
      sink.flush()
    },
  })
  shell.lifecycle.markReady()
  shell.log.info('listening', {
    url: `${options.scheme ?? 'http'}://${listener.hostname.includes(':') ? `[${listener.hostname}]` : listener.hostname}:${listener.port}`,
    runtime: runtime.name,
    bundle: gateway.current?.bundle.hash ?? null,
  })
  sink.flush()
  return { shell, gateway, listener, reload }
}
