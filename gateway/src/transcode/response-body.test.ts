import { create } from '@bufbuild/protobuf'
import { describe, expect, it } from 'vitest'
import {
  DeleteThingResponseSchema,
  DownloadBlobResponseSchema,
  TranscodingService,
} from '../../../proto/gen/gatehouse/testing/v1/transcoding_pb.ts'
import { httpBindings } from './http-rules.ts'
import { PROTO_REGISTRY } from './registry.ts'
import { jsonPart, planResponse, unaryResponse } from './response-body.ts'

const [deleteThing] = httpBindings([TranscodingService.method.deleteThing])
const [download, raw] = httpBindings([TranscodingService.method.downloadBlob])

describe('response bodies', () => {
  it('renders a message response_body, also when unset', () => {
    const plan = planResponse(deleteThing!, PROTO_REGISTRY)
    expect(jsonPart(plan, create(DeleteThingResponseSchema, { serverNote: 'n', request: { id: 'x' } }))).toEqual({ id: 'x' })
    expect(jsonPart(plan, create(DeleteThingResponseSchema))).toEqual({})
  })

  it('renders a scalar response_body as its JSON value, the default included', () => {
    const plan = planResponse({ ...deleteThing!, responseBody: 'server_note' }, PROTO_REGISTRY)
    expect(jsonPart(plan, create(DeleteThingResponseSchema, { serverNote: 'n' }))).toBe('n')
    expect(jsonPart(plan, create(DeleteThingResponseSchema))).toBe('')
  })

  it('renders the whole message without response_body', () => {
    const plan = planResponse({ ...deleteThing!, responseBody: undefined }, PROTO_REGISTRY)
    expect(jsonPart(plan, create(DeleteThingResponseSchema, { serverNote: 'n' }))).toEqual({ serverNote: 'n' })
  })

  it('answers raw bytes: an HttpBody with its content type (octet-stream when empty), a bytes field as octet-stream', async () => {
    const message = create(DownloadBlobResponseSchema, { content: { data: new Uint8Array([104, 105]) }, data: new Uint8Array([33]) })
    const res = unaryResponse(planResponse(download!, PROTO_REGISTRY), message, false)
    expect([res.headers.get('content-type'), await res.text()]).toEqual(['application/octet-stream', 'hi'])
    const bytes = unaryResponse(planResponse(raw!, PROTO_REGISTRY), message, false)
    expect(await bytes.text()).toBe('!')
    const unset = unaryResponse(planResponse(download!, PROTO_REGISTRY), create(DownloadBlobResponseSchema), false)
    expect(await unset.text()).toBe('')
  })

  it('drops the body for HEAD', async () => {
    const res = unaryResponse(planResponse(deleteThing!, PROTO_REGISTRY), create(DeleteThingResponseSchema), true)
    expect([res.status, res.headers.get('content-type'), await res.text()]).toEqual([200, 'application/json', ''])
  })
})
