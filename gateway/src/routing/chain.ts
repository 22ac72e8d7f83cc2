import type { Context } from 'hono'
import type { GatewayEnv, GatewayMiddleware } from '../env.ts'
import { isInbound } from '../policies/types.ts'

/** The `next` of the last handler: nothing follows it. */
const NO_NEXT = async (): Promise<void> => {}

export type ErrorRenderer = (err: unknown, c: Context<GatewayEnv>) => Response

/**
 * Runs a route's handlers as an onion on the request's context, like hono's compose: code
 * before `await next()` runs in order, code after it in reverse order. A thrown error becomes
 * the response right there (rendered once), so outer policies still see and may decorate it.
 */
export function createChain(handlers: readonly GatewayMiddleware[], renderError: ErrorRenderer) {
  const terminal = handlers.at(-1)
  const before = handlers.slice(0, -1)
  if (terminal && before.length > 0 && before.every(isInbound)) {
    // Policies that only act on the way in: a loop, then the upstream handler (one async layer).
    const steps = before.map((policy) => policy.inbound)
    return async function runInbound(c: Context<GatewayEnv>): Promise<Response> {
      try {
        for (const step of steps) {
          const pending = step(c)
          if (pending) await pending
        }
        const res = await terminal(c, NO_NEXT)
        return res instanceof Response ? res : c.res
      } catch (err) {
        return renderError(err, c)
      }
    }
  }
  const [only] = handlers
  if (handlers.length === 1 && only) {
    // A route without policies: the terminal handler alone, two async layers fewer per request.
    return async function runTerminal(c: Context<GatewayEnv>): Promise<Response> {
      try {
        const res = await only(c, NO_NEXT)
        return res instanceof Response ? res : c.res
      } catch (err) {
        return renderError(err, c)
      }
    }
  }
  return async function runChain(c: Context<GatewayEnv>): Promise<Response> {
    let last = -1
    const dispatch = async (i: number): Promise<void> => {
      if (i <= last) throw new Error('next() called more than once')
      last = i
      const handler = handlers[i]
      if (!handler) return
      try {
        const res = await handler(c, () => dispatch(i + 1))
        if (res instanceof Response) c.res = res
      } catch (err) {
        // Hono's `c.res` setter merges the old response's headers into the new one; an error
        // response must not inherit an upstream's content-length, content-encoding or cookies.
        c.res = undefined as unknown as Response
        c.res = renderError(err, c)
      }
    }
    await dispatch(0)
    return c.res
  }
}
