import type { z } from 'zod'
import type { Logger } from '../../../internal/shell/access-log.ts'
import type { Registry } from '../../../internal/shell/metrics.ts'
import type { Context } from 'hono'
import type { GatewayEnv, GatewayMiddleware } from '../env.ts'

/** What a policy instance gets at creation, besides its options. */
export interface PolicyInit {
  /** The instance's name in the bundle (`policies.<name>`). */
  readonly name: string
  /** The policy file that declares the instance, as the bundle names it; files it refers to are relative to it. */
  readonly source: string
  /** The node's metrics registry (registering a family again returns the same one, so reloads are safe). */
  readonly metrics: Registry
  /** The node's event log (not the access log). */
  readonly log: Logger
  /**
   * Reads a file the policy's options name (`what` for messages, e.g. "JWKS file"), relative to
   * the policy's own file; a missing one throws, which refuses the bundle. The gateway watches the
   * files policies read and reloads the bundle when one changes.
   */
  readFile(what: string, path: string): PolicyFile
}

/** A file a policy read while the bundle compiled. */
export interface PolicyFile {
  /** Where it was read (relative paths resolved against the policy's file). */
  readonly path: string
  readonly text: string
}

/**
 * A policy type: one folder under `gateway/src/policies/<type>/`. Its options are a strict zod
 * object (validated at bundle load, exported into `policies/schema.json`); `create` runs once per
 * bundle compile and returns the per-request middleware. Code before `await next()` is inbound
 * (route order), after it outbound (reverse order). Throw `GatewayError` to fail a request.
 */
export interface PolicyType<S extends z.ZodObject = z.ZodObject> {
  /** The `type:` string in policy files; also the folder name. */
  readonly type: string
  /** One line for the JSON Schema and `gatehouse routes`. */
  readonly description: string
  /** Options as written in the policy file, without the `type` key. Must be `.strict()`. */
  readonly options: S
  create(options: z.output<S>, init: PolicyInit): GatewayMiddleware
}

export const definePolicy = <S extends z.ZodObject>(policy: PolicyType<S>): PolicyType<S> => policy

/** The work of a policy that only acts on the way in: check, annotate or edit the request, or throw. */
export type InboundStep = (c: Context<GatewayEnv>) => void | Promise<void>

/** A middleware that is an `InboundStep` followed by `next()`, and says so (`inbound`). */
export type InboundMiddleware = GatewayMiddleware & { readonly inbound: InboundStep }

/**
 * Most policies only act on the way in (authenticate, authorize, limit, inspect). Written as an
 * `InboundStep`, a policy is still an ordinary middleware (its tests mount it on Hono), and a
 * route chain runs such steps in a plain loop before the upstream handler, without an async layer
 * and a `next` closure per policy per request (routing/chain.ts).
 */
export function inboundPolicy(step: InboundStep): InboundMiddleware {
  const middleware: GatewayMiddleware = (c, next) => {
    const pending = step(c)
    return pending ? pending.then(next) : next()
  }
  return Object.assign(middleware, { inbound: step })
}

export function isInbound(handler: GatewayMiddleware): handler is InboundMiddleware {
  return typeof (handler as Partial<InboundMiddleware>).inbound === 'function'
}

/** A path named in a policy's options: absolute as is, relative against the directory of the policy's file. */
export function policyFilePath(init: Pick<PolicyInit, 'source'>, path: string): string {
  if (path.startsWith('/')) return path
  const slash = init.source.lastIndexOf('/')
  return slash < 0 ? path : `${init.source.slice(0, slash + 1)}${path}`
}
