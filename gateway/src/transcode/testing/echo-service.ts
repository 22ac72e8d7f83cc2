import { Code, ConnectError } from '@connectrpc/connect'
import type { ConnectRouter, HandlerContext, ServiceImpl } from '@connectrpc/connect'
import { concatBytes } from '../../../../internal/shell/bytes.ts'
import {
  Color,
  ErrorReasonSchema,
  TranscodingService,
} from '../../../../proto/gen/gatehouse/testing/v1/transcoding_pb.ts'

/**
 * A real implementation of gatehouse.testing.v1.TranscodingService for the transcoder's tests:
 * each method echoes what it received, streams on request, or fails as asked.
 */

/** Called with every call's method name and context (headers, deadline, signal). */
export type CallObserver = (method: string, context: HandlerContext) => void

const text = new TextEncoder()

export function createEchoService(observe: CallObserver = () => {}): ServiceImpl<typeof TranscodingService> {
  return {
    getThing: (request, context) => (observe('GetThing', context), { request }),
    createThing: (request, context) => (observe('CreateThing', context), { request }),
    updateThing: (request, context) => (observe('UpdateThing', context), { request }),
    deleteThing: (request, context) => (observe('DeleteThing', context), { serverNote: 'not in the HTTP body', request }),
    cancelThing: (request, context) => (observe('CancelThing', context), { request }),
    uploadBlob(request, context) {
      observe('UploadBlob', context)
      const content = request.content
      return { name: request.name, contentType: content?.contentType ?? '', size: BigInt(content?.data.byteLength ?? 0), expectedSize: request.expectedSize }
    },
    downloadBlob(request, context) {
      observe('DownloadBlob', context)
      if (request.name === 'missing') throw new ConnectError(`blob ${request.name} not found`, Code.NotFound)
      const data = text.encode(`blob ${request.name}`)
      return { content: { contentType: request.contentType || 'text/plain', data }, data }
    },
    async *watchThings(request, context) {
      observe('WatchThings', context)
      if (request.count < 0) throw new ConnectError('count must be >= 0', Code.InvalidArgument)
      for (let i = 0; i < request.count; i++) {
        if (request.failAfter > 0 && i === request.failAfter) throw new ConnectError('the watch broke', Code.Unavailable)
        if (i > 0 && request.intervalMs > 0) await sleep(request.intervalMs, context.signal)
        yield { seq: BigInt(i), color: i % 2 === 0 ? Color.RED : Color.GREEN }
      }
    },
    async *streamBlob(request, context) {
      observe('StreamBlob', context)
      if (request.name === 'missing') throw new ConnectError(`blob ${request.name} not found`, Code.NotFound)
      yield { content: { case: 'header', value: { name: request.name } } }
      for (let i = 0; i < request.chunks; i++) {
        if (request.failAfter > 0 && i === request.failAfter) throw new ConnectError('the disk broke', Code.DataLoss)
        yield { content: { case: 'chunk', value: text.encode(`chunk-${i};`) } }
      }
    },
    async sumNumbers(requests, context) {
      observe('SumNumbers', context)
      let label = ''
      let total = 0n
      let count = 0
      for await (const r of requests) {
        if (count === 0) label = r.label
        else if (r.label !== label) throw new ConnectError('every message must carry the same label', Code.InvalidArgument)
        total += r.value
        count++
      }
      return { label, total, count }
    },
    async putBlob(requests, context) {
      observe('PutBlob', context)
      let header
      const parts: Uint8Array[] = []
      let size = 0
      for await (const r of requests) {
        if (r.content.case === 'header') {
          if (header || parts.length > 0) throw new ConnectError('the header must come first, once', Code.InvalidArgument)
          header = r.content.value
        } else if (r.content.case === 'chunk') {
          parts.push(r.content.value)
          size += r.content.value.byteLength
        }
      }
      const data = size <= 64 * 1024 ? concatBytes(parts) : new Uint8Array(0)
      return { header, size: BigInt(size), chunks: parts.length, data }
    },
    raiseError(request, context) {
      observe('RaiseError', context)
      const code = CODES[request.code]
      if (code === undefined) throw new Error(request.message) // not a ConnectError: must never leak
      const details = request.withDetail ? [{ desc: ErrorReasonSchema, value: { reason: 'because' } }] : []
      throw new ConnectError(request.message, code, undefined, details)
    },
    unmapped: () => ({}),
  }
}

/** The service's Connect routes (for createRouterTransport or connectNodeAdapter). */
export function echoRoutes(observe?: CallObserver): (router: ConnectRouter) => void {
  const impl = createEchoService(observe)
  return (router) => {
    router.service(TranscodingService, impl)
  }
}

const CODES: Readonly<Record<string, Code>> = Object.fromEntries(
  Object.entries(Code)
    .filter(([, v]) => typeof v === 'number')
    .map(([name, v]) => [name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? '' : '_') + c.toLowerCase()), v as Code]),
)

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true })
  })
}
