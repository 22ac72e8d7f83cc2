import type { Context, Hono } from 'hono'
import type { ShellEnv } from './env.ts'
import { GatewayError } from './errors.ts'
import type { Lifecycle } from './lifecycle.ts'
import { PROMETHEUS_CONTENT_TYPE } from './metrics.ts'
import type { Registry } from './metrics.ts'

export interface PlaneOptions {
  readonly lifecycle: Lifecycle
  readonly metrics: Registry
  readonly debugViews: ReadonlyMap<string, () => unknown>
  /** `/debug/*` answers only with `Authorization: Bearer <token>`; absent = 404. */
  readonly debugToken: string | undefined
  /** Instead of the static token: a node's own check (e.g. a JWT scope); throws a GatewayError to refuse. */
  readonly debugAuth?: DebugAuth | undefined
}

/** Decides whether a caller may read the debug views; throws UNAUTHENTICATED / PERMISSION_DENIED to refuse. */
export type DebugAuth = (c: Context<ShellEnv>) => Promise<void>

/** The shell's own endpoints: `/health/live`, `/health/ready`, `/metrics`, `/debug/<view>`. */
export function mountPlanes(app: Hono<ShellEnv>, { lifecycle, metrics, debugViews, debugToken, debugAuth }: PlaneOptions): void {
  app.get('/health/live', (c) => c.json({ status: 'live' }))
  app.get('/health/ready', (c) => {
    const readiness = lifecycle.readiness()
    return c.json(readiness, readiness.ready ? 200 : 503)
  })
  app.get('/metrics', (c) => c.body(metrics.render(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }))
  app.get('/debug/:view', async (c) => {
    const view = debugViews.get(c.req.param('view'))
    if ((!debugToken && !debugAuth) || !view) throw new GatewayError('NOT_FOUND', 'not found')
    if (debugAuth) {
      await debugAuth(c)
      return c.json(view())
    }
    if (!sameSecret(c.req.header('authorization') ?? '', `Bearer ${debugToken}`)) {
      throw new GatewayError('UNAUTHENTICATED', 'debug views need the debug token', {
        headers: { 'www-authenticate': 'Bearer realm="debug"' },
      })
    }
    return c.json(view())
  })
}

/** Compares without an early exit, so response time does not reveal how much of a secret matched. */
function sameSecret(given: string, expected: string): boolean {
  let diff = given.length ^ expected.length
  for (let i = 0; i < expected.length; i++) diff |= (given.charCodeAt(i) || 0) ^ expected.charCodeAt(i)
  return diff === 0
}
