import { create } from '@bufbuild/protobuf'
import type { Message } from '@bufbuild/protobuf'
import { Code, ConnectError } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { StreamBlobResponseSchema, WatchThingsResponseSchema } from '../../../proto/gen/gatehouse/testing/v1/transcoding_pb.ts'
import type { ProblemDocument } from '../../../internal/shell/errors.ts'
import { httpBindings } from './http-rules.ts'
import { PROTO_REGISTRY } from './registry.ts'
import { planResponse } from './response-body.ts'
import { rpcProblem } from './rpc-problem.ts'
import { streamFormat, streamResponse } from './stream-response.ts'
import type { StreamResponseOptions } from './stream-response.ts'
import { TranscodingService } from '../../../proto/gen/gatehouse/testing/v1/transcoding_pb.ts'

const watch = httpBindings([TranscodingService.method.watchThings])[0]!
const plan = planResponse(watch, PROTO_REGISTRY)
const msg = (seq: number): Message => create(WatchThingsResponseSchema, { seq: BigInt(seq) })
const options = (overrides: Partial<StreamResponseOptions> = {}): StreamResponseOptions => ({
  format: 'ndjson',
  headWaitMs: 1000,
  problem: (err) => rpcProblem(err, 'r', PROTO_REGISTRY).document as ProblemDocument,
  cancel: () => {},
  ...overrides,
})

describe('streamFormat', () => {
  it('picks SSE only when asked for, NDJSON otherwise', () => {
    expect(streamFormat('text/event-stream')).toBe('sse')
    expect(streamFormat('application/json, text/event-stream;q=0.9')).toBe('sse')
    expect(streamFormat('application/x-ndjson')).toBe('ndjson')
    expect(streamFormat(undefined)).toBe('ndjson')
  })
})

describe('streamResponse', () => {
  it('throws an error that comes before the first message, for a plain problem response', async () => {
    async function* failing(): AsyncIterable<Message> {
      throw new ConnectError('nope', Code.NotFound)
    }
    await expect(streamResponse(plan, failing(), options())).rejects.toThrow('nope')
  })

  it('does not hold the status line past headWaitMs: a late failure is a final frame', async () => {
    let release = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    async function* late(): AsyncIterable<Message> {
      await gate
      throw new ConnectError('late', Code.Unavailable)
    }
    const res = await streamResponse(plan, late(), options({ headWaitMs: 20, format: 'sse' }))
    expect(res.status).toBe(200)
    release()
    expect(await res.text()).toMatch(/^event: error\ndata: \{.*"status":503.*\}\n\n$/)
  })

  it('writes an empty stream as an empty 200 body', async () => {
    async function* none(): AsyncIterable<Message> {}
    const res = await streamResponse(plan, none(), options())
    expect([res.status, await res.text()]).toEqual([200, ''])
  })

  it('frames NDJSON lines and SSE events', async () => {
    async function* two(): AsyncIterable<Message> {
      yield msg(0)
      yield msg(5)
    }
    expect(await (await streamResponse(plan, two(), options())).text()).toBe('{"result":{}}\n{"result":{"seq":"5"}}\n')
    expect(await (await streamResponse(plan, two(), options({ format: 'sse' }))).text()).toBe('data: {}\n\ndata: {"seq":"5"}\n\n')
  })

  it('cancels the upstream when the client goes away', async () => {
    let canceled = false
    async function* endless(): AsyncIterable<Message> {
      for (let i = 0; ; i++) yield msg(i)
    }
    const res = await streamResponse(plan, endless(), options({ cancel: () => (canceled = true) }))
    const reader = res.body!.getReader()
    await reader.read()
    await reader.cancel()
    expect(canceled).toBe(true)
  })

  it('keeps a raw stream going through messages that carry no bytes', async () => {
    const blob = planResponse(httpBindings([TranscodingService.method.streamBlob])[0]!, PROTO_REGISTRY)
    const empty = () => create(StreamBlobResponseSchema, { content: { case: 'chunk', value: new Uint8Array(0) } })
    const bytes = (text: string) => create(StreamBlobResponseSchema, { content: { case: 'chunk', value: new TextEncoder().encode(text) } })
    async function* gappy(): AsyncIterable<Message> {
      yield create(StreamBlobResponseSchema, { content: { case: 'header', value: { name: 'n' } } })
      yield bytes('a')
      for (let i = 0; i < 5; i++) yield empty()
      yield bytes('b')
      yield empty()
      yield empty()
    }
    expect(await (await streamResponse(blob, gappy(), options())).text()).toBe('ab')
  })
})
