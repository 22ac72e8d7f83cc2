/**
 * ConnInfo.onClientGone from a request's AbortSignal (Bun, Deno): the listener runs once when the
 * client goes away, or at once if it already has (a watcher may be registered late: see
 * fetch-http-client.ts, which only watches requests still waiting after a while).
 */
export function whenAborted(signal: AbortSignal, listener: () => void): void {
  if (signal.aborted) listener()
  else signal.addEventListener('abort', listener, { once: true })
}
