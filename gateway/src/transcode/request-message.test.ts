import type { Message } from '@bufbuild/protobuf'
import { describe, expect, it } from 'vitest'
import { TranscodingService } from '../../../proto/gen/gatehouse/testing/v1/transcoding_pb.ts'
import type { PutBlobRequest, SumNumbersRequest } from '../../../proto/gen/gatehouse/testing/v1/transcoding_pb.ts'
import { httpBindings } from './http-rules.ts'
import { buildRequest, buildRequestStream, MAX_CHUNK_BYTES, planRequest } from './request-message.ts'
import type { HttpRequestParts } from './request-message.ts'

const plan = (method: (typeof TranscodingService.methods)[number], i = 0) => planRequest(httpBindings([method])[i]!)
const parts = (params: Record<string, string>, query: string, body?: BodyInit): HttpRequestParts => {
  const request = new Request('http://x/', { method: body === undefined ? 'GET' : 'POST', body })
  return { params, query: new URLSearchParams(query), request, body: request.body, maxBodyBytes: 1 << 20 }
}
async function collect(messages: AsyncIterable<Message>): Promise<Message[]> {
  const all: Message[] = []
  for await (const m of messages) all.push(m)
  return all
}

describe('planRequest', () => {
  it('tells JSON bodies from raw ones', () => {
    const m = TranscodingService.method
    expect(plan(m.createThing)).toMatchObject({ raw: false, bodyField: undefined })
    expect(plan(m.createThing, 1)).toMatchObject({ raw: false, bodyField: { name: 'thing' } })
    expect(plan(m.uploadBlob)).toMatchObject({ raw: true, bodyField: { name: 'content' } })
    expect(plan(m.putBlob)).toMatchObject({ raw: true, bodyField: { name: 'chunk' } })
  })
})

describe('buildRequest', () => {
  it('merges the body, then the path (which wins), then the query', async () => {
    const message = await buildRequest(plan(TranscodingService.method.createThing, 1), parts({ shelf: 's', 'thing.id': 'p' }, 'validate_only=true', '{"id":"b","count":"3"}'))
    expect(message).toMatchObject({ shelf: 's', validateOnly: true, thing: { id: 'p', count: 3n } })
  })
})

describe('buildRequestStream', () => {
  it('body "*": the path fields on every element, none without elements', async () => {
    const p = plan(TranscodingService.method.sumNumbers)
    const messages = (await collect(await buildRequestStream(p, parts({ label: 'l' }, '', '[{"value":1},{"value":2}]')))) as SumNumbersRequest[]
    expect(messages.map((m) => [m.label, m.value])).toEqual([['l', 1n], ['l', 2n]])
    expect(await collect(await buildRequestStream(p, parts({ label: 'l' }, '', '[]')))).toEqual([])
  })

  it('raw body: a leading message with the path and query fields, then chunks of at most 1 MiB', async () => {
    const body = new Uint8Array(MAX_CHUNK_BYTES + 10)
    const messages = (await collect(await buildRequestStream(plan(TranscodingService.method.putBlob), parts({ 'header.name': 'n' }, 'header.content_type=t', body)))) as PutBlobRequest[]
    expect(messages[0]?.content).toEqual({ case: 'header', value: expect.objectContaining({ name: 'n', contentType: 't' }) })
    expect(messages.slice(1).map((m) => (m.content.case === 'chunk' ? m.content.value.byteLength : -1)).reduce((a, b) => a + b, 0)).toBe(body.byteLength)
    expect(messages.slice(1).every((m) => m.content.case === 'chunk' && m.content.value.byteLength <= MAX_CHUNK_BYTES)).toBe(true)
  })
})
