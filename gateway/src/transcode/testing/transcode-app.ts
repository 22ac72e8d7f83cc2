/** A minimal gateway for the transcoder's tests (imported only by *.test.ts). */
import { createRouterTransport } from '@connectrpc/connect'
import type { Transport } from '@connectrpc/connect'
import { Hono } from 'hono'
import { GatewayError, renderProblem, toGatewayError } from '../../../../internal/shell/errors.ts'
import type { RouteSpec } from '../../bundle/types.ts'
import type { GatewayEnv } from '../../env.ts'
import { createChain } from '../../routing/chain.ts'
import { createRouteTable } from '../../routing/route-table.ts'
import { bindingsOf } from '../bindings-of.ts'
import { createTranscoder } from '../transcoder.ts'
import type { TranscoderOptions } from '../transcoder.ts'
import { echoRoutes } from './echo-service.ts'
import type { CallObserver } from './echo-service.ts'

export const ECHO_SERVICE = 'gatehouse.testing.v1.TranscodingService'

/** The echo service through the real Connect protocol, in memory. */
export function echoTransport(observe?: CallObserver): Transport {
  return createRouterTransport(echoRoutes(observe))
}

/**
 * Routes every HTTP binding of `target` (in rule order, like the lead's route expansion) to a
 * transcoder, with what the gateway sets before the terminal handler: params, upstream
 * headers, request id; errors rendered as the shell does.
 */
export function transcodeApp(target: string, options: Partial<TranscoderOptions> & { observe?: CallObserver } = {}): Hono<GatewayEnv> {
  const resolved = bindingsOf(target)
  if ('error' in resolved) throw new Error(resolved.error)
  const transport = options.transport ?? echoTransport(options.observe)
  const renderError = (err: unknown, c: { get(key: 'requestId'): string }) => renderProblem(toGatewayError(err), c.get('requestId'))
  const table = createRouteTable(
    resolved.bindings.map((binding, i) => ({
      route: routeSpec(`${binding.method.name}-${i}`),
      binding: { path: binding.path, methods: [binding.verb] },
      value: createChain([createTranscoder(binding, { ...options, transport })], renderError),
    })),
  )
  const app = new Hono<GatewayEnv>()
  app.onError((err, c) => renderError(err, c))
  app.all('*', async (c) => {
    c.set('requestId', 'req-test')
    const url = new URL(c.req.url)
    const result = table.match({ method: c.req.method, host: undefined, path: url.pathname, headers: c.req.raw.headers })
    if (result.kind !== 'match') throw new GatewayError(result.kind === 'none' ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED', 'no route')
    c.set('params', result.params)
    const headers = new Headers(c.req.raw.headers)
    headers.set('x-request-id', 'req-test')
    c.set('upstreamHeaders', headers)
    return result.value(c)
  })
  return app
}

function routeSpec(id: string): RouteSpec {
  return {
    id,
    match: { methods: undefined, host: undefined, headers: {}, path: undefined },
    policies: [],
    timeoutMs: 1000,
    upstream: { kind: 'rpc', service: 'echo', proto: ECHO_SERVICE },
    location: { file: 'test.yaml', line: 1, column: 1 },
  }
}
