import { create, isMessage } from '@bufbuild/protobuf'
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf'
import type { Interceptor, UnaryRequest, UnaryResponse } from '@connectrpc/connect'
import { Code, ConnectError } from '@connectrpc/connect'

type UnaryFn<I extends DescMessage, O extends DescMessage> = (req: UnaryRequest<I, O>) => Promise<UnaryResponse<I, O>>

export interface UnaryCall<I extends DescMessage, O extends DescMessage> {
  readonly interceptors: readonly Interceptor[]
  readonly signal: AbortSignal | undefined
  readonly timeoutMs: number | undefined
  readonly req: Omit<UnaryRequest<I, O>, 'signal' | 'message'> & { message: MessageInitShape<I> }
  readonly next: UnaryFn<I, O>
}

/**
 * connect-es's runUnaryCall, lean: interceptors, one signal that the caller's signal and the
 * deadline abort, errors as ConnectErrors (Canceled / DeadlineExceeded when the signal fired).
 * Unlike runUnaryCall it does not abort the signal once the call succeeded: nothing listens to
 * it then, and each abort builds a DOMException with a stack — a visible cost per call.
 */
export async function runUnary<I extends DescMessage, O extends DescMessage>(call: UnaryCall<I, O>): Promise<UnaryResponse<I, O>> {
  const controller = new AbortController()
  const { signal: caller, timeoutMs } = call
  const onCallerAbort = () => controller.abort(ConnectError.from(caller?.reason, Code.Canceled))
  if (caller?.aborted) onCallerAbort()
  else caller?.addEventListener('abort', onCallerAbort, { once: true })
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => controller.abort(new ConnectError('the operation timed out', Code.DeadlineExceeded)), Math.max(0, timeoutMs))
  let next = call.next as UnaryFn<I, O>
  for (let i = call.interceptors.length - 1; i >= 0; i--) next = (call.interceptors[i] as Interceptor)(next as never) as unknown as UnaryFn<I, O>
  const { method } = call.req
  const message = isMessage(call.req.message, method.input) ? call.req.message : create(method.input, call.req.message)
  try {
    return await next({ ...call.req, message, signal: controller.signal } as UnaryRequest<I, O>)
  } catch (err) {
    const e = controller.signal.aborted ? ConnectError.from(controller.signal.reason, Code.Canceled) : ConnectError.from(err)
    if (!controller.signal.aborted) controller.abort(e)
    throw e
  } finally {
    clearTimeout(timer)
    caller?.removeEventListener('abort', onCallerAbort)
  }
}
