import type { MiddlewareHandler } from 'hono'
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import type { ShellEnv } from '../../internal/shell/env.ts'
import { GatewayError } from '../../internal/shell/errors.ts'
import type { DebugAuth } from '../../internal/shell/planes.ts'
import { auditEntry } from './audit.ts'
import type { AuditLog, CallSite } from './audit.ts'
import type { Authenticate, Caller } from './auth.ts'
import { writeCallSite } from './call-site.ts'
import { SCOPE_BY_PATH } from './scopes.ts'

export interface GuardOptions {
  readonly authenticate: Authenticate
  readonly audit: AuditLog
  /** Calls per second per caller (token subject and peer address; the address alone without a valid token). */
  readonly callsPerSecond: number
}

/**
 * In front of every ControlService method: rate limit per caller, authenticate (401), check
 * the method's scope (403), audit both refusals, then hand the call site to the handler.
 */
export function createGuard(options: GuardOptions): MiddlewareHandler<ShellEnv> {
  const limiter = new RateLimiterMemory({ points: options.callsPerSecond, duration: 1 })

  const limit = async (key: string): Promise<void> => {
    try {
      await limiter.consume(key)
    } catch (err) {
      // consume() rejects with a RateLimiterRes (not an Error) when the limit is hit.
      if (!(err instanceof RateLimiterRes)) throw err
      const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000))
      throw new GatewayError('RATE_LIMITED', 'too many control calls; slow down', { headers: { 'retry-after': String(retryAfter) } })
    }
  }

  return async function guard(c, next) {
    const required = SCOPE_BY_PATH.get(c.req.path)
    if (!required) return next() // not one of ours: the RPC router answers 404
    const site: CallSite = { subject: '', remoteAddress: c.var.remoteAddress ?? '', requestId: c.var.requestId }
    const refuse = async (error: GatewayError, caller?: Caller): Promise<never> => {
      const who = { ...site, subject: caller?.subject ?? '' }
      await options.audit.append(auditEntry(who, { action: required.method, result: error.code, message: error.message }))
      throw error
    }

    let caller: Caller
    try {
      caller = await options.authenticate(c.req.header('authorization'), c.env?.clientCertificate)
    } catch (err) {
      await limit(`peer:${site.remoteAddress}`)
      if (err instanceof GatewayError) await refuse(err)
      throw err
    }
    // Per subject and address: many gateways sharing one token must not share one budget.
    await limit(`subject:${caller.subject}@${site.remoteAddress}`)
    if (!caller.scopes.has(required.scope)) {
      await refuse(new GatewayError('PERMISSION_DENIED', `${required.method} needs scope "${required.scope}"`), caller)
    }
    writeCallSite(c.req.raw.headers, { ...site, subject: caller.subject })
    return next()
  }
}

/** The shell's `/debug/*` check for the control gateway: a token or certificate with `debug:read`. */
export function debugReaders(authenticate: Authenticate): DebugAuth {
  return async function readsDebug(c) {
    const caller = await authenticate(c.req.header('authorization'), c.env?.clientCertificate)
    if (!caller.scopes.has('debug:read')) throw new GatewayError('PERMISSION_DENIED', 'debug views need scope "debug:read"')
  }
}
