import { create } from '@bufbuild/protobuf'
import { WatchBundleResponseSchema } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import type { WatchBundleResponse } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import type { HeadFollower } from './head-follower.ts'
import type { NodeTable } from './nodes.ts'
import { versionView } from './proto-views.ts'
import { desiredFor } from './stored.ts'

export interface WatchBundleInit {
  readonly follower: HeadFollower
  readonly nodes: NodeTable
  readonly nodeId: string
  readonly label: string
  /** Aborts when the gateway goes away. */
  readonly signal: AbortSignal
}

/** A stream that sends nothing for this long sends its current bundle again, so proxies see it alive. */
const KEEPALIVE_MS = 30_000

/**
 * One gateway's subscription: the bundle it should run (by its label) at once, then whenever
 * that changes; a drain request when an operator asks. Heads that change nothing for this
 * gateway (e.g. a canary for another label) send nothing.
 */
export async function* watchBundle(init: WatchBundleInit): AsyncGenerator<WatchBundleResponse> {
  const { follower, nodes, signal } = init
  let drain = false
  const disconnect = nodes.connect(init.nodeId, init.label, () => {
    drain = true
    follower.changed.notify()
  })
  try {
    await Promise.race([follower.ready, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))])
    let sent = ''
    while (!signal.aborted) {
      if (drain) {
        drain = false
        yield create(WatchBundleResponseSchema, { event: { case: 'drain', value: { nodeId: init.nodeId } } })
      }
      const desired = desiredFor(follower.current(), init.label)
      if (desired && desired.hash !== sent) {
        sent = desired.hash
        yield create(WatchBundleResponseSchema, { event: { case: 'bundle', value: versionView(desired, true) } })
      }
      if ((await follower.changed.wait({ signal, timeoutMs: KEEPALIVE_MS })) === 'timeout') sent = ''
    }
  } finally {
    disconnect()
  }
}
