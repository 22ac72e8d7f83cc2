import type { IncomingMessage } from 'node:http'

/** How long a lingering request body may pause, how long it may linger in all, and how much it may still send. */
export interface LingerLimits {
  readonly idleMs: number
  readonly totalMs: number
  readonly maxBytes: number
}

/** nginx's lingering_timeout and lingering_time; the byte cap is @hono/node-server's drain cap. */
export const LINGER_LIMITS: LingerLimits = { idleMs: 5_000, totalMs: 30_000, maxBytes: 64 * 1024 * 1024 }

/** How often a lingering connection is looked at (at most): its limits hold to within this. */
const CHECK_MS = 250

/**
 * Drops what is left of a request body once its response is sent, so a client still uploading
 * when it was answered early (401, 403, 413, 429 before the body was read) finishes its write and
 * reads the answer, instead of having the connection closed under it (EPIPE or ECONNRESET in
 * place of the answer). @hono/node-server's own clean-up closes the connection 500 ms after the
 * response, which a slow upload outlasts. Node drops an unread body itself (its `_dump`); a body
 * whose reader stopped is resumed here and dropped the same way. The connection is closed when the
 * body pauses longer than `idleMs`, lingers longer than `totalMs` or sends more than `maxBytes`
 * (counted on the socket: Node's parser drops the bytes before any 'data' event).
 */
export function lingerAfterResponse(incoming: IncomingMessage, limits: LingerLimits = LINGER_LIMITS): void {
  const socket = incoming.socket
  if (incoming.readableEnded || incoming.destroyed || !socket || socket.destroyed) return
  if (!(incoming as { _dumped?: boolean })._dumped) {
    // A reader that stopped when the response went out: nobody reads the rest, so drop it.
    incoming.removeAllListeners('data')
    incoming.resume()
  }
  const began = Date.now()
  const atAnswer = socket.bytesRead
  let seen = atAnswer
  let seenAt = began
  const check = setInterval(() => {
    const now = Date.now()
    const read = socket.bytesRead
    if (read !== seen) {
      seen = read
      seenAt = now
    }
    if (read - atAnswer > limits.maxBytes || now - seenAt > limits.idleMs || now - began > limits.totalMs) {
      done()
      socket.destroySoon()
    }
  }, Math.min(CHECK_MS, limits.idleMs)).unref()
  function done() {
    clearInterval(check)
    incoming.off('end', done)
    incoming.off('error', done)
    socket.off('close', done)
  }
  incoming.once('end', done)
  incoming.once('error', done)
  socket.once('close', done)
}
