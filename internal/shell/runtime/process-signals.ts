/**
 * Calls `handler` on the first SIGTERM or SIGINT (Node and Bun share `process`); a second one
 * means "now": exit 130 without waiting for the drain.
 */
export function onFirstProcessSignal(handler: (signal: string) => void): void {
  let fired = false
  const onSignal = (signal: string) => {
    if (fired) process.exit(130)
    fired = true
    handler(signal)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}
