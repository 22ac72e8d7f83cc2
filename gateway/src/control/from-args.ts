import { createConnectTransport } from '@connectrpc/connect-web'
import { createLogger } from '../../../internal/shell/access-log.ts'
import type { Runtime } from '../../../internal/shell/runtime/types.ts'
import type { BundleSource } from '../main.ts'
import { createControlSource } from './control-source.ts'

/**
 * `gatehouse gateway --control URL [--label L]`: the control gateway's subscription as the
 * gateway's bundle source. The token comes from `GATEHOUSE_CONTROL_TOKEN`; the node id from
 * `GATEHOUSE_NODE_ID`, else a random `gateway-xxxxxxxx` for this process.
 */
export function controlSourceFor(url: string, label: string, runtime: Pick<Runtime, 'env' | 'writeStdout'>, onDrain: () => void): BundleSource {
  const nodeId = runtime.env('GATEHOUSE_NODE_ID') || `gateway-${crypto.randomUUID().slice(0, 8)}`
  return createControlSource({
    transport: createConnectTransport({ baseUrl: url, useBinaryFormat: true }),
    token: runtime.env('GATEHOUSE_CONTROL_TOKEN') || undefined,
    nodeId,
    label,
    // Unbatched: these lines are rare, and the one before a drain must not be lost at exit.
    log: createLogger((line) => runtime.writeStdout(`${line}\n`), 'gateway'),
    onDrain,
  })
}
