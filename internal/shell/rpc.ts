import { createConnectRouter } from '@connectrpc/connect'
import type { ConnectRouter, Interceptor } from '@connectrpc/connect'
import { createFetchHandler } from '@connectrpc/connect/protocol'
import type { UniversalHandler } from '@connectrpc/connect/protocol'
import type { Hono } from 'hono'
import type { ShellEnv } from './env.ts'

/** Registers a node's Connect services, e.g. `(router) => router.service(StorageService, impl)`. */
export type RpcRoutes = (router: ConnectRouter) => void

/**
 * Serves a node's Connect services on the shell's app, so every RPC gets the shell's request
 * id, trace context, metrics (route = `package.Service/Method`) and access log. Speaks the
 * Connect protocol and gRPC-web on every runtime; native gRPC needs HTTP/2 trailers, which a
 * fetch Response cannot carry: the Node adapter serves it on its own h2c listener.
 */
export function mountRpc<V extends object>(app: Hono<ShellEnv<V>>, routes: RpcRoutes, interceptors: Interceptor[] = []): readonly UniversalHandler[] {
  const router = createConnectRouter({ interceptors })
  routes(router)
  const base = app as unknown as Hono<ShellEnv>
  for (const handler of router.handlers) {
    const handle = createFetchHandler(handler)
    const name = `${handler.service.typeName}/${handler.method.name}`
    base.on(handler.allowedMethods, handler.requestPath, (c) => {
      c.set('routeId', name)
      return handle(c.req.raw)
    })
  }
  return router.handlers
}
