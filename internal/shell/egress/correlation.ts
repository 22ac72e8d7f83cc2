import type { CallOptions, HandlerContext, Interceptor } from '@connectrpc/connect'
import { createContextKey, createContextValues } from '@connectrpc/connect'
import { deadlineKey, timeoutFromHeaders } from './deadline.ts'

/**
 * What a node passes on when it calls another: the request id, the trace context and the
 * deadline of the request it is serving. They travel as Connect context values, set per call
 * with `egressCallOptions()` (or `callOptionsFromHandler()` inside a Connect handler); the
 * `correlationHeaders` interceptor turns the first two into headers, once per logical call, so
 * every retry of a call carries the same request id.
 */

export const requestIdKey = createContextKey<string | undefined>(undefined, { description: 'x-request-id to send' })
export const traceparentKey = createContextKey<string | undefined>(undefined, { description: 'traceparent to send' })

/** Sets `x-request-id` and `traceparent` from the context values, unless the call's headers already have them. */
export function correlationHeaders(): Interceptor {
  return (next) => async (req) => {
    const requestId = req.contextValues.get(requestIdKey)
    const traceparent = req.contextValues.get(traceparentKey)
    if (requestId !== undefined && !req.header.has('x-request-id')) req.header.set('x-request-id', requestId)
    if (traceparent !== undefined && !req.header.has('traceparent')) req.header.set('traceparent', traceparent)
    return next(req)
  }
}

export interface EgressCallInit {
  requestId?: string | undefined
  /** This node's `traceparent` (its span as the parent of the call). */
  traceparent?: string | undefined
  /** Absolute deadline, ms since the epoch. */
  deadline?: number | undefined
  /** Remaining time; combined with `deadline`, the earlier wins. */
  timeoutMs?: number | undefined
  signal?: AbortSignal | undefined
  headers?: HeadersInit | undefined
}

/** Connect `CallOptions` carrying the request id, trace context and deadline of the request being served. */
export function egressCallOptions(init: EgressCallInit): CallOptions {
  const values = createContextValues()
  if (init.requestId !== undefined) values.set(requestIdKey, init.requestId)
  if (init.traceparent !== undefined) values.set(traceparentKey, init.traceparent)
  if (init.deadline !== undefined) values.set(deadlineKey, init.deadline)
  const options: CallOptions = { contextValues: values }
  if (init.timeoutMs !== undefined) options.timeoutMs = init.timeoutMs
  if (init.signal !== undefined) options.signal = init.signal
  if (init.headers !== undefined) options.headers = init.headers
  return options
}

/**
 * Call options for an east-west call made while serving a Connect request: its deadline (the
 * incoming `grpc-timeout` / `connect-timeout-ms`, as a fixed absolute deadline), its signal
 * (the call is abandoned with the request), its `x-request-id`, and `traceparent` (the node's
 * own when given, else the incoming one).
 */
export function callOptionsFromHandler(ctx: HandlerContext, own: { traceparent?: string; now?: () => number } = {}): CallOptions {
  const now = own.now ?? Date.now
  const remaining = ctx.timeoutMs() ?? timeoutFromHeaders(ctx.requestHeader)
  return egressCallOptions({
    requestId: ctx.requestHeader.get('x-request-id') ?? undefined,
    traceparent: own.traceparent ?? ctx.requestHeader.get('traceparent') ?? undefined,
    deadline: remaining === undefined ? undefined : now() + remaining,
    signal: ctx.signal,
  })
}
