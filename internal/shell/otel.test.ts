import { INVALID_SPAN_CONTEXT, SpanKind, trace } from '@opentelemetry/api'
import type { Context, Span, SpanContext, SpanOptions, Tracer, TracerProvider } from '@opentelemetry/api'
import { afterEach, describe, expect, it } from 'vitest'
import { startServerSpan } from './otel.ts'
import { continueOrStartTrace, parseTraceparent } from './trace-context.ts'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'
const INCOMING = `00-${TRACE}-${PARENT}-01`

interface Started { name: string; options: SpanOptions | undefined; parent: SpanContext | undefined; span: Span }

/** A stand-in SDK: each span gets its own span id under the parent's trace (or a fixed new trace). */
function fakeProvider(started: Started[]): TracerProvider {
  let next = 0
  const tracer: Tracer = {
    startSpan(name: string, options?: SpanOptions, context?: Context): Span {
      const parent = context ? trace.getSpanContext(context) : undefined
      const own: SpanContext = {
        traceId: parent?.traceId ?? 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        spanId: (++next).toString(16).padStart(16, 'b'),
        traceFlags: 1,
      }
      const span = trace.wrapSpanContext(own)
      started.push({ name, options, parent, span })
      return span
    },
    startActiveSpan(): never {
      throw new Error('not used')
    },
  }
  return { getTracer: () => tracer }
}

afterEach(() => {
  trace.disable()
})

describe('startServerSpan without an SDK (no-op API)', () => {
  it('continues the incoming trace with our own span id', () => {
    const ctx = continueOrStartTrace(INCOMING, null)
    const { span, context, traceparent, traceId } = startServerSpan('GET', ctx, { 'http.request.method': 'GET' })
    expect(span.isRecording()).toBe(false)
    expect(traceparent).toBe(`00-${TRACE}-${ctx.spanId}-01`)
    expect(traceId).toBe(TRACE)
    expect(context).toBeUndefined() // nothing to propagate in-process without an SDK
    span.end()
  })

  it('starts a trace with our ids when there is no valid parent', () => {
    const ctx = continueOrStartTrace('garbage', null)
    const { span, traceparent, traceId } = startServerSpan('GET', ctx, {})
    expect(span.spanContext()).toEqual(INVALID_SPAN_CONTEXT)
    expect(parseTraceparent(traceparent)).toEqual({ traceId: ctx.traceId, parentId: ctx.spanId, flags: '00' })
    expect(traceId).toBe(ctx.traceId)
  })
})

describe('startServerSpan with an SDK registered', () => {
  it('starts a SERVER span under the remote parent and sends the SDK ids', () => {
    const started: Started[] = []
    expect(trace.setGlobalTracerProvider(fakeProvider(started))).toBe(true)
    const ctx = continueOrStartTrace(INCOMING, 'congo=t61rcWkgMzE')
    const { span, context, traceparent } = startServerSpan('GET /v1/x', ctx, { 'http.request.method': 'GET', n: 1 })
    expect(started).toHaveLength(1)
    const [first] = started
    expect(first?.name).toBe('GET /v1/x')
    expect(first?.options).toEqual({ kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', n: 1 } })
    expect(first?.parent).toMatchObject({ traceId: TRACE, spanId: PARENT, traceFlags: 1, isRemote: true })
    expect(first?.parent?.traceState?.get('congo')).toBe('t61rcWkgMzE')
    expect(trace.getSpan(context as Context)).toBe(span)
    expect(traceparent).toBe(`00-${TRACE}-${span.spanContext().spanId}-01`)
    expect(traceparent).not.toContain(ctx.spanId)
  })

  it('uses the SDK trace id for a new trace, and drops the SDK once disabled', () => {
    const started: Started[] = []
    trace.setGlobalTracerProvider(fakeProvider(started))
    const ctx = continueOrStartTrace(undefined, undefined)
    const result = startServerSpan('GET', ctx, {})
    expect(started[0]?.parent).toBeUndefined()
    expect(result.traceId).toBe('a'.repeat(32))
    expect(result.traceparent).toBe(`00-${'a'.repeat(32)}-${result.span.spanContext().spanId}-01`)

    trace.disable()
    const after = startServerSpan('GET', ctx, {})
    expect(started).toHaveLength(1)
    expect(after.traceparent).toBe(`00-${ctx.traceId}-${ctx.spanId}-00`)
  })
})
