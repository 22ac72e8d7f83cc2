import type { Client } from '@connectrpc/connect'
import { RecordEventType } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import type { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { createChangeSignal } from '../../internal/metadata/change-signal.ts'
import type { ChangeSignal } from '../../internal/metadata/change-signal.ts'
import type { BundleStore } from './bundle-store.ts'
import { decodeJson, EMPTY_HEAD, HEAD_KEY } from './stored.ts'
import type { Head } from './stored.ts'

export interface HeadFollower {
  /** The newest head known (EMPTY_HEAD until the first read). */
  current(): Head
  /** Notified after every change of `current()`. */
  readonly changed: ChangeSignal
  /** Resolves after the first successful read. */
  readonly ready: Promise<void>
  /** Takes a head this process just wrote, without waiting for the watch (ignored if older). */
  offer(head: Head, revision: bigint): void
  close(): void
}

/**
 * Follows the head record in the metadata service: read it, then watch it from the next
 * revision (so that changes made by another control gateway reach our subscribers too). When
 * the watch breaks (metadata restarted, compaction) it reads again and resumes.
 */
export function followHead(
  store: BundleStore,
  metadata: Client<typeof MetadataService>,
  options: { retryMs?: number; onError?: (err: unknown) => void } = {},
): HeadFollower {
  const abort = new AbortController()
  const changed = createChangeSignal()
  let head: Head = EMPTY_HEAD
  let revision = -1n
  let markReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => (markReady = resolve))

  const accept = (next: Head, at: bigint) => {
    if (at <= revision) return
    revision = at
    head = next
    changed.notify()
  }

  const run = async () => {
    while (!abort.signal.aborted) {
      try {
        const read = await store.readHead()
        accept(read.head, read.revision)
        markReady()
        const stream = metadata.watchRecords({ prefix: HEAD_KEY, startRevision: read.revision + 1n }, { signal: abort.signal })
        for await (const message of stream) {
          for (const event of message.events) {
            const record = event.record
            if (event.type !== RecordEventType.PUT || record?.key !== HEAD_KEY) continue
            accept(decodeJson<Head>(record.value), record.modRevision)
          }
        }
      } catch (err) {
        if (abort.signal.aborted) return
        options.onError?.(err)
      }
      await changed.wait({ signal: abort.signal, timeoutMs: options.retryMs ?? 500 })
    }
  }
  void run()

  return {
    current: () => head,
    changed,
    ready,
    offer: accept,
    close: () => abort.abort(),
  }
}
