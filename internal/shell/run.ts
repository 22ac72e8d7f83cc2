import type { Shell } from './shell.ts'
import type { Listener, Runtime, ServeOptions } from './runtime/types.ts'

export interface RunOptions {
  readonly hostname: string
  readonly port: number
  /** How long requests in flight may take to finish after SIGTERM/SIGINT (default 30 s). */
  readonly drainDeadlineMs?: number
  /** Called after the listener is up; the node marks itself ready when its own checks pass. */
  readonly onListening?: (listener: Listener) => void
  /** Called when the drain starts (e.g. leave a service registry so callers stop picking this node). */
  readonly onDrain?: () => Promise<void> | void
  /** Called once drain has finished, before exit (flush logs, close pools). */
  readonly onStopped?: () => Promise<void> | void
}

/** The listener could not be opened (address in use, no permission): an operator problem, not a crash. */
export class ListenError extends Error {
  override name = 'ListenError'
}

/** Opens the listener, turning the runtime's own failure into a ListenError that says where. */
export async function listen(runtime: Runtime, options: ServeOptions): Promise<Listener> {
  try {
    return await runtime.serve(options)
  } catch (err) {
    throw listenError(`${options.hostname}:${options.port}`, err)
  }
}

/** A runtime's listen failure as a ListenError that says where and why, in words. */
export function listenError(where: string, err: unknown): ListenError {
  const code = (err as { code?: string }).code
  const reason =
    code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : err instanceof Error ? err.message : String(err)
  return new ListenError(`cannot listen on ${where}: ${reason}`, { cause: err })
}

/**
 * Serves a shell-built node on a runtime until SIGTERM/SIGINT, then drains: readiness goes 503
 * at once, the listener stops accepting, requests in flight finish up to the deadline, exit 0.
 */
export async function runNode<V extends object>(runtime: Runtime, shell: Shell<V>, options: RunOptions): Promise<Listener> {
  const listener = await listen(runtime, {
    hostname: options.hostname,
    port: options.port,
    fetch: (request, info) => shell.app.fetch(request, info),
  })
  const deadline = options.drainDeadlineMs ?? 30_000
  runtime.onShutdownSignal(async (signal) => {
    shell.lifecycle.startDrain()
    shell.log.info('draining', { signal, inFlight: shell.lifecycle.inFlight, deadlineMs: deadline })
    const started = Date.now()
    await options.onDrain?.()
    await listener.drain(deadline)
    shell.log.info('stopped', { drainedMs: Date.now() - started })
    await options.onStopped?.()
    runtime.exit(0)
  })
  options.onListening?.(listener)
  return listener
}
