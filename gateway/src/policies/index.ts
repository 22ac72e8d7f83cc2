import { apiKey } from './api-key/index.ts'
import { authorize } from './authorize/index.ts'
import { headers } from './headers/index.ts'
import { jwt } from './jwt/index.ts'
import { mtls } from './mtls/index.ts'
import { rateLimit } from './rate-limit/index.ts'
import type { PolicyType } from './types.ts'
import { waf } from './waf/index.ts'

/** Every policy type the gateway knows, by its `type:` string. Static: config never imports code. */
export const POLICY_TYPES: ReadonlyMap<string, PolicyType> = new Map<string, PolicyType>(
  [headers, jwt, authorize, rateLimit, apiKey, mtls, waf].map((p) => [p.type, p as unknown as PolicyType]),
)
