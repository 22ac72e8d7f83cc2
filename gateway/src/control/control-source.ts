import { createClient } from '@connectrpc/connect'
import type { Transport } from '@connectrpc/connect'
import { ConnectError } from '@connectrpc/connect'
import { ControlService } from '../../../proto/gen/gatehouse/control/v1/control_pb.ts'
import type { Logger } from '../../../internal/shell/shell.ts'
import type { SourceFile } from '../bundle/types.ts'
import type { BundleReport, BundleSource } from '../main.ts'

export interface ControlSourceOptions {
  /** A transport to the control gateway (connect-web's createConnectTransport works on every runtime). */
  readonly transport: Transport
  /** An admin JWT with scope `bundle:read`; sent as `Authorization: Bearer`. */
  readonly token: string | undefined
  /** This gateway's id, as `gatehouse status` shows it. */
  readonly nodeId: string
  /** Canary selection: the gateway runs the canary bundle of this label while one runs. */
  readonly label: string
  readonly log: Logger
  /** Called when an operator drains this gateway (`DrainNode`). */
  readonly onDrain?: () => void
  /** How long the first read waits for the first bundle (default 5 s). */
  readonly firstBundleTimeoutMs?: number
  /** Wait before subscribing again after the stream broke (default 1 s). */
  readonly retryMs?: number
}

/**
 * A BundleSource fed by the control gateway: subscribes to `WatchBundle` (server stream), hands
 * each pushed bundle to the gateway (which validates it and swaps it in, or keeps the old one),
 * and reports what it runs (or why it refused) with `ReportNodeStatus`. A broken stream is
 * resubscribed; meanwhile the gateway keeps serving what it has.
 */
export function createControlSource(options: ControlSourceOptions): BundleSource & { close(): void } {
  const client = createClient(ControlService, options.transport)
  const headers = options.token ? { authorization: `Bearer ${options.token}` } : undefined
  const abort = new AbortController()
  const retryMs = options.retryMs ?? 1_000
  let files: SourceFile[] | undefined
  let onChange: (() => void) | undefined
  let firstArrived: () => void = () => {}
  const first = new Promise<void>((resolve) => (firstArrived = resolve))
  let outage = false

  const subscribe = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const stream = client.watchBundle({ nodeId: options.nodeId, label: options.label }, { signal: abort.signal, headers })
        for await (const message of stream) {
          if (outage) options.log.info('control gateway stream restored', { nodeId: options.nodeId })
          outage = false
          if (message.event.case === 'drain') {
            options.log.info('drain requested by the control gateway', { nodeId: options.nodeId })
            options.onDrain?.()
          } else if (message.event.case === 'bundle') {
            files = message.event.value.files.map((f) => ({ path: f.path, text: f.text }))
            firstArrived()
            onChange?.()
          }
        }
      } catch (err) {
        if (abort.signal.aborted) return
        if (!outage) options.log.warn('control gateway stream broken; resubscribing', { error: ConnectError.from(err).message })
        outage = true
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryMs)
        abort.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
      })
    }
  }
  void subscribe()

  return {
    name: `control gateway (node ${options.nodeId}${options.label ? `, label ${options.label}` : ''})`,
    async read() {
      if (!files) {
        let timer: ReturnType<typeof setTimeout> | undefined
        const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.firstBundleTimeoutMs ?? 5_000)))
        await Promise.race([first, timeout])
        clearTimeout(timer)
      }
      if (!files) throw new Error('no bundle received from the control gateway yet')
      return files
    },
    watch(listener) {
      onChange = listener
      // A bundle that arrived after a first read timed out (and before this) must not wait for the next push.
      if (files) queueMicrotask(listener)
      return () => {
        onChange = undefined
        abort.abort()
      }
    },
    report(status: BundleReport) {
      client
        .reportNodeStatus({ nodeId: options.nodeId, label: options.label, runningHash: status.running ?? '', problems: [...status.problems] }, { headers, timeoutMs: 5_000 })
        .catch((err: unknown) => options.log.warn('status report to the control gateway failed', { error: ConnectError.from(err).message }))
    },
    close: () => abort.abort(),
  }
}
