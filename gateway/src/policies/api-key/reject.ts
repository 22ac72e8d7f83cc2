import { GatewayError } from '../../../../internal/shell/errors.ts'

/** No registered HTTP auth scheme exists for API keys; this names ours for clients that read challenges. */
const CHALLENGE = { 'www-authenticate': 'ApiKey realm="gatehouse"' }

export const missingKey = (): GatewayError => new GatewayError('UNAUTHENTICATED', 'an API key is required', { headers: CHALLENGE })

/** 401 naming what failed; `reason` is always ours, never the key or anything derived from it. */
export const invalidKey = (reason: string): GatewayError => new GatewayError('UNAUTHENTICATED', reason, { headers: CHALLENGE })
