import { Code, ConnectError } from '@connectrpc/connect'
import type { Client } from '@connectrpc/connect'
import type { Object$, StorageService } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'

/** An object being read: its metadata first, then its bytes. */
export interface OpenedObject {
  /** The generation being read (size and sha256 are the whole object's). */
  readonly object: Object$
  /** The bytes the chunks carry in total. */
  readonly length: bigint
  /** The content, in order; fails with DATA_LOSS when the stream ends short or runs long. */
  readonly chunks: AsyncIterable<Uint8Array>
}

/** The error a canceled task's calls end with (its code is what tells cancel from failure). */
export const canceled = (): ConnectError => new ConnectError('task canceled', Code.Canceled)

/**
 * Settles like `promise`, or rejects with `canceled()` as soon as `signal` aborts: a stalled
 * storage stream cannot hold a canceled task.
 */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined)
    return Promise.reject(canceled())
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(canceled())
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (err: unknown) => (signal.removeEventListener('abort', onAbort), reject(err)),
    )
  })
}

/**
 * Opens a whole object with GetObject (a server stream) and waits for its header, so that a
 * missing object fails here (NOT_FOUND) before the task writes anything. The signal aborts the
 * call; chunks are pulled one at a time, so memory stays at one chunk (≤ 1 MiB).
 */
export async function openObject(
  storage: Client<typeof StorageService>,
  where: { bucket: string; key: string },
  signal: AbortSignal,
): Promise<OpenedObject> {
  const responses = storage.getObject({ bucket: where.bucket, key: where.key }, { signal })[Symbol.asyncIterator]()
  const first = await unlessAborted(responses.next(), signal)
  const header = !first.done && first.value.content.case === 'header' ? first.value.content.value : undefined
  if (!header?.object) throw new ConnectError('storage: GetObject sent no header first', Code.Internal)
  const { object, length } = header

  async function* chunks(): AsyncGenerator<Uint8Array> {
    let received = 0n
    for (;;) {
      const next = await unlessAborted(responses.next(), signal)
      if (next.done) break
      if (next.value.content.case !== 'chunk') {
        throw new ConnectError('storage: GetObject sent a second header', Code.Internal)
      }
      received += BigInt(next.value.content.value.byteLength)
      if (received > length) throw new ConnectError(`storage: more than the ${length} bytes announced`, Code.DataLoss)
      yield next.value.content.value
    }
    if (received !== length) {
      throw new ConnectError(`storage: the object ended after ${received} of ${length} bytes`, Code.DataLoss)
    }
  }
  return { object, length, chunks: chunks() }
}
