import { authorize } from './authorize/index.ts'
import { headers } from './headers/index.ts'
import { jwt } from './jwt/index.ts'
import { rateLimit } from './rate-limit/index.ts'
import type { PolicyType } from './types.ts'

/** Every policy type the gateway knows, by its `type:` string. Static: config never imports code. */
export const POLICY_TYPES: ReadonlyMap<string, PolicyType> = new Map<string, PolicyType>(
  [headers, jwt, authorize, rateLimit].map((p) => [p.type, p as unknown as PolicyType]),
)
