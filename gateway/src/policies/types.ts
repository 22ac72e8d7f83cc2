import type { z } from 'zod'
import type { Logger } from '../../../internal/shell/access-log.ts'
import type { Registry } from '../../../internal/shell/metrics.ts'
import type { GatewayMiddleware } from '../env.ts'

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

/** A path named in a policy's options: absolute as is, relative against the directory of the policy's file. */
export function policyFilePath(init: Pick<PolicyInit, 'source'>, path: string): string {
  if (path.startsWith('/')) return path
  const slash = init.source.lastIndexOf('/')
  return slash < 0 ? path : `${init.source.slice(0, slash + 1)}${path}`
}
