import type { DescMethod } from '@bufbuild/protobuf'
import type { ContextValues, Transport } from '@connectrpc/connect'
import { createContextValues } from '@connectrpc/connect'
import { runStreamingCall } from '@connectrpc/connect/protocol'
import { runAttempts } from './attempts.ts'
import { correlationHeaders } from './correlation.ts'
import { deadlineKey, resolveDeadline } from './deadline.ts'
import { resolveEgressOptions } from './options.ts'
import type { EgressOptions } from './options.ts'
import { serverStream, unreplayableStream } from './stream.ts'
import { runUnary } from './unary.ts'
import { createUpstream } from './upstream.ts'
import type { EndpointStatus } from './upstream.ts'

/**
 * The egress client: a Connect `Transport` over every endpoint of one upstream, so
 * `createClient(StorageService, createEgressTransport({ ... }))` is all a node needs. Per call:
 * interceptors (request id, traceparent, then the caller's) → deadline (caller's, never
 * extended) → attempts (leader hint / breaker + balancer → endpoint transport with the
 * remaining time → NOT_LEADER followed once → retries with backoff within the budget).
 * Failures reject with a ConnectError: the endpoint's, or UNAVAILABLE (no usable endpoint),
 * DEADLINE_EXCEEDED, CANCELED.
 */

export interface EgressTransport extends Transport {
  /** Each endpoint's breaker state and in-flight count (for metrics and /debug). */
  endpoints(): EndpointStatus[]
  /** Stops following discovery. Calls in flight finish. */
  close(): void
}

export function createEgressTransport(input: EgressOptions): EgressTransport {
  const options = resolveEgressOptions(input)
  const up = createUpstream(options)
  const interceptors = [correlationHeaders(), ...options.interceptors]
  const { now } = options

  const prepare = (method: DescMethod, timeoutMs: number | undefined, contextValues: ContextValues | undefined, defaultMs: number) => {
    const values = contextValues ?? createContextValues()
    const deadline = resolveDeadline(now(), timeoutMs, values.get(deadlineKey), defaultMs)
    return {
      deadline,
      timeoutMs: deadline === undefined ? undefined : deadline - now(),
      common: { service: method.parent, requestMethod: 'POST', url: `egress://${options.name}/${method.parent.typeName}/${method.name}`, contextValues: values },
    }
  }

  return {
    unary(method, signal, timeoutMs, header, message, contextValues) {
      const call = prepare(method, timeoutMs, contextValues, options.defaultTimeoutMs)
      return runUnary({
        interceptors,
        signal,
        timeoutMs: call.timeoutMs,
        req: { ...call.common, stream: false, method, header: new Headers(header), message },
        next: (req) =>
          runAttempts(up, { method, signal: req.signal, deadline: call.deadline, replayable: true }, (transport, remaining, end) =>
            transport.unary(method, req.signal, remaining, req.header, req.message, req.contextValues).finally(end),
          ),
      })
    },
    stream(method, signal, timeoutMs, header, message, contextValues) {
      const call = prepare(method, timeoutMs, contextValues, 0)
      return runStreamingCall({
        interceptors,
        signal,
        timeoutMs: call.timeoutMs,
        req: { ...call.common, stream: true, method, header: new Headers(header), message },
        next: (req) => (method.methodKind === 'server_streaming' ? serverStream(up, req, call.deadline) : unreplayableStream(up, req, call.deadline)),
      })
    },
    endpoints: () => up.status(),
    close: () => up.close(),
  }
}
