import { Code, ConnectError } from '@connectrpc/connect'

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i])

/**
 * Compares the SHA-256 a task computed over an object's bytes with the one storage recorded for
 * it (end-to-end integrity): a difference is DATA_LOSS. A missing recorded digest is not checked.
 */
export function checkSha256(where: { bucket: string; key: string }, computed: Uint8Array, recorded: Uint8Array): void {
  if (recorded.byteLength === 32 && !equalBytes(computed, recorded)) {
    throw new ConnectError(`${where.bucket}/${where.key}: content does not match its recorded SHA-256`, Code.DataLoss)
  }
}
