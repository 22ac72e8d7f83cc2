import type { MiddlewareHandler } from 'hono'
import type { ShellEnv } from '../../internal/shell/env.ts'
import type { MutableFields } from '../../internal/shell/field-list.ts'
import type { Principal } from './principal.ts'

/** What the gateway adds to the shell's per-request variables. */
export interface GatewayVariables {
  /** Path parameters of the matched route template, decoded (`{id}` -> `params.id`). */
  params: Readonly<Record<string, string>>
  /**
   * The headers that will be sent upstream: the client's minus hop-by-hop ones, plus
   * forwarding and correlation headers. Policies edit these, never `c.req.raw.headers`
   * (incoming headers are immutable on Deno).
   */
  upstreamHeaders: MutableFields
  /**
   * The body to send upstream when a policy read the client's (request-body.ts); undefined = the
   * client's, as it streams in. Read it with `requestBodyOf(c)`, never `c.req.raw.body` directly.
   */
  requestBody: ReadableStream<Uint8Array> | Uint8Array | undefined
  /** Who the request acts for, set by an authentication policy; undefined until one has run. */
  principal: Principal | undefined
}

export type GatewayEnv = ShellEnv<GatewayVariables>
export type GatewayMiddleware = MiddlewareHandler<GatewayEnv>
