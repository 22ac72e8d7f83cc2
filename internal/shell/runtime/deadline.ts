/**
 * Waits for `graceful` up to `deadlineMs`; past it, runs `onDeadline` (force-close) and waits
 * for that instead. The timer never outlives the wait.
 */
export async function withinDeadline(graceful: Promise<unknown>, deadlineMs: number, onDeadline: () => Promise<unknown> | void): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => void Promise.resolve(onDeadline()).then(() => resolve()), deadlineMs)
  })
  try {
    await Promise.race([graceful, deadline])
  } finally {
    clearTimeout(timer)
  }
}
