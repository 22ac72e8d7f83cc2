import type { DescMethod } from '@bufbuild/protobuf'
import { MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt'
import { Code, ConnectError } from '@connectrpc/connect'
import { createRollingCount } from './rolling.ts'

/**
 * When a failed attempt may be sent again, how long to wait first, and how many retries the
 * upstream as a whole may take (the budget), so that retries never multiply an outage.
 */

export interface RetryOptions {
  /** Attempts per call, the first included (default 3; 1 = never retry). */
  maxAttempts: number
  /** Full-jitter exponential backoff: retry n waits random × min(maxBackoffMs, baseBackoffMs × 2^(n-1)). */
  baseBackoffMs: number
  maxBackoffMs: number
  /** Codes worth another attempt (default: unavailable only). */
  retryableCodes: readonly Code[]
  /** Retries allowed over the window: budgetMinRetries + budgetRatio × calls (defaults 10 + 20 %, 10 s). */
  budgetRatio: number
  budgetMinRetries: number
  budgetWindowMs: number
}

export const RETRY_DEFAULTS: Readonly<RetryOptions> = {
  maxAttempts: 3,
  baseBackoffMs: 25,
  maxBackoffMs: 250,
  retryableCodes: [Code.Unavailable],
  budgetRatio: 0.2,
  budgetMinRetries: 10,
  budgetWindowMs: 10_000,
}

export function resolveRetryOptions(input: Partial<RetryOptions> = {}): RetryOptions {
  const o = { ...RETRY_DEFAULTS, ...input }
  if (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 1) throw new TypeError('retry.maxAttempts must be an integer >= 1')
  if (!Number.isInteger(o.budgetMinRetries) || o.budgetMinRetries < 0) throw new TypeError('retry.budgetMinRetries must be an integer >= 0')
  if (!(o.baseBackoffMs >= 0)) throw new TypeError('retry.baseBackoffMs must be >= 0')
  if (!(o.maxBackoffMs >= o.baseBackoffMs)) throw new TypeError('retry.maxBackoffMs must be >= retry.baseBackoffMs')
  if (!(o.budgetRatio >= 0)) throw new TypeError('retry.budgetRatio must be >= 0')
  if (!(o.budgetWindowMs > 0)) throw new TypeError('retry.budgetWindowMs must be > 0')
  return { ...o, retryableCodes: [...o.retryableCodes] }
}

/** Retry-safe by contract: the method's `idempotency_level` is NO_SIDE_EFFECTS or IDEMPOTENT. */
export function isRetrySafe(method: DescMethod): boolean {
  return method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS || method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT
}

const notSent = new WeakSet<object>()
/** Error codes (Node, undici, Bun) of failures that happen before a request leaves the machine. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ConnectionRefused', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'FailedToOpenSocket'])

/** Marks an error as proof that the request never reached a server (safe to resend for any method). */
export function markNotSent<E extends Error>(err: E): E {
  notSent.add(err)
  return err
}

/** Marked by us, or caused (anywhere in its `cause` chain) by a refused connection or a failed DNS lookup. */
export function provedNotSent(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    if (notSent.has(e)) return true
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return true
    if (e instanceof Error && /connection refused/i.test(e.message)) return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}

/** Codes of connection failures after which the request may or may not have been processed. */
const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'ConnectionClosed'])

/**
 * A failure of the connection rather than an answer of the server: not sent (above), a reset or
 * broken pipe (a killed node, a stale keep-alive socket), or fetch's TypeError. connect-node
 * reports these as internal or aborted and fetch transports as unknown; the egress client
 * reports them all as unavailable.
 */
export function isNetworkFailure(err: unknown): boolean {
  if (provedNotSent(err)) return true
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code
    if (e instanceof TypeError || (typeof code === 'string' && NETWORK_CODES.has(code))) return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}

/** Whether `err` (a failed, replayable attempt of `method`) may be sent again, budget and deadline aside. */
export function isRetryable(method: DescMethod, err: ConnectError, options: RetryOptions): boolean {
  return options.retryableCodes.includes(err.code) && (isRetrySafe(method) || provedNotSent(err))
}

/** The wait before retry `n` (1 = the first retry): full jitter. */
export function backoffMs(n: number, options: RetryOptions, random: () => number): number {
  const ceiling = Math.min(options.maxBackoffMs, options.baseBackoffMs * 2 ** Math.max(0, n - 1))
  return Math.floor(random() * ceiling)
}

export interface RetryBudget {
  /** Counts a call (once per call, however many attempts it makes). */
  request(): void
  /** Takes one retry if the budget allows it. */
  tryRetry(): boolean
}

/** Retries over the window stay ≤ budgetMinRetries + budgetRatio × calls over the same window. */
export function createRetryBudget(options: RetryOptions, now: () => number): RetryBudget {
  const calls = createRollingCount(options.budgetWindowMs, now)
  const retries = createRollingCount(options.budgetWindowMs, now)
  return {
    request: () => calls.add(),
    tryRetry() {
      if (retries.sum() >= options.budgetMinRetries + options.budgetRatio * calls.sum()) return false
      retries.add()
      return true
    },
  }
}
