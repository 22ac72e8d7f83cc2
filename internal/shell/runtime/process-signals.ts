/** Calls `handler` once, on the first SIGTERM or SIGINT (Node and Bun share `process`). */
export function onFirstProcessSignal(handler: (signal: string) => void): void {
  let fired = false
  const once = (signal: string) => {
    if (fired) return
    fired = true
    handler(signal)
  }
  process.on('SIGTERM', once)
  process.on('SIGINT', once)
}
