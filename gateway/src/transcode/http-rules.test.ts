import { create, createFileRegistry, setExtension } from '@bufbuild/protobuf'
import type { DescMethod, MessageInitShape } from '@bufbuild/protobuf'
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema, MethodOptionsSchema } from '@bufbuild/protobuf/wkt'
import { describe, expect, it } from 'vitest'
import { MetadataService } from '../../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { RegistryService } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { ProcessingService } from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { StorageService } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { TranscodingService } from '../../../proto/gen/gatehouse/testing/v1/transcoding_pb.ts'
import { http } from '../../../proto/gen/google/api/annotations_pb.ts'
import { HttpRuleSchema } from '../../../proto/gen/google/api/http_pb.ts'
import { httpBindings } from './http-rules.ts'
import { planRequest } from './request-message.ts'
import { planResponse } from './response-body.ts'
import { PROTO_REGISTRY } from './registry.ts'

const summary = (methods: readonly DescMethod[]) =>
  httpBindings(methods).map((b) => [b.method.name, b.verb, b.path, b.body, b.responseBody].filter((x) => x !== undefined).join(' '))

describe('httpBindings', () => {
  it('lists every rule and additional binding of the test service', () => {
    expect(summary(TranscodingService.methods)).toEqual([
      'GetThing GET /v1/{name=shelves/*/things/*}',
      'GetThing GET /v1/things/{name=**}',
      'CreateThing POST /v1/shelves/{shelf}/things *',
      'CreateThing PUT /v1/shelves/{shelf}/things/{thing.id} thing',
      'UpdateThing PATCH /v1/things/{thing.id} thing',
      'DeleteThing DELETE /v1/things/{id} request',
      'DeleteThing PURGE /v1/things/{id}',
      'CancelThing POST /v1/things/{id}:cancel *',
      'UploadBlob POST /v1/blobs/{name} content',
      'DownloadBlob GET /v1/blobs/{name}:download content',
      'DownloadBlob GET /v1/blobs/{name}:raw data',
      'WatchThings GET /v1/things:watch',
      'StreamBlob GET /v1/blobs/{name}:stream chunk',
      'SumNumbers POST /v1/sums/{label} *',
      'PutBlob PUT /v1/blobs/{header.name} chunk',
      'RaiseError POST /v1/errors:raise *',
    ])
    expect(httpBindings(TranscodingService.methods)[3]?.variables).toEqual(['shelf', 'thing.id'])
  })

  it('gives sane bindings for every method of the storage, processing and metadata roles', () => {
    const services = [StorageService, ProcessingService, MetadataService, RegistryService]
    for (const service of services) {
      const bindings = httpBindings(service.methods)
      expect(bindings.map((b) => b.method)).toEqual(service.methods) // one rule each, none skipped
      for (const b of bindings) {
        expect(b.path).toMatch(/^\/v1\//)
        expect(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).toContain(b.verb)
        if (b.verb === 'GET' || b.verb === 'DELETE' || b.verb === 'HEAD') expect(b.body).toBeUndefined()
        planRequest(b) // resolves without throwing
        planResponse(b, PROTO_REGISTRY)
      }
    }
    const storage = new Map(httpBindings(StorageService.methods).map((b) => [b.method.name, b]))
    // The streamed object methods carry raw bytes both ways.
    expect(planRequest(storage.get('PutObject')!)).toMatchObject({ raw: true })
    expect(storage.get('PutObject')!.variables).toEqual(['header.bucket', 'header.key'])
    expect(planResponse(storage.get('GetObject')!, PROTO_REGISTRY)).toMatchObject({ raw: true })
    expect(planRequest(storage.get('WriteUpload')!)).toMatchObject({ raw: true })
    expect(storage.get('HeadObject')).toMatchObject({ verb: 'HEAD', path: '/v1/buckets/{bucket}/objects/{key=**}' })
    expect(planRequest(storage.get('CreateBucket')!)).toMatchObject({ raw: false, bodyField: undefined })
  })

  it('skips methods without a rule', () => {
    expect(summary(TranscodingService.methods.filter((m) => m.name === 'Unmapped'))).toEqual([])
  })

  describe('rejects rules it cannot transcode, naming the method', () => {
    const cases: [string, MessageInitShape<typeof HttpRuleSchema>, string, { client?: boolean; server?: boolean }?][] = [
      ['an unknown path variable', { pattern: { case: 'get', value: '/v1/{nope}' } }, 'path variable "nope": synthetic.Req has no field "nope"'],
      ['a variable through a scalar', { pattern: { case: 'get', value: '/v1/{id.x}' } }, 'path variable "id.x": "id" is not a message'],
      ['a repeated variable', { pattern: { case: 'get', value: '/v1/{tags}' } }, 'path variable "tags" must name a singular scalar or enum field'],
      ['a message variable', { pattern: { case: 'get', value: '/v1/{inner}' } }, 'path variable "inner" must name a singular scalar or enum field'],
      ['a bad template', { pattern: { case: 'get', value: 'v1/x' } }, 'path "v1/x": a path template must start with "/"'],
      ['an unknown body field', { pattern: { case: 'post', value: '/v1/x' }, body: 'nope' }, 'body "nope": synthetic.Req has no field "nope"'],
      ['an unknown response_body', { pattern: { case: 'get', value: '/v1/x' }, responseBody: 'nope' }, 'response_body "nope": synthetic.Res has no field "nope"'],
      ['no pattern', {}, 'no pattern'],
      ['a bad custom kind', { pattern: { case: 'custom', value: { kind: 'GET X', path: '/v1/x' } } }, 'invalid HTTP method "GET X"'],
      ['bidi streaming', { pattern: { case: 'post', value: '/v1/x' }, body: '*' }, 'bidirectional streaming', { client: true, server: true }],
      ['client streaming without a body', { pattern: { case: 'post', value: '/v1/x' } }, 'a client-streaming method needs a body', { client: true }],
      ['an invalid additional binding', { pattern: { case: 'get', value: '/v1/x' }, additionalBindings: [{ pattern: { case: 'get', value: '/v1/{zz}' } }] }, '"zz"'],
    ]
    for (const [name, rule, message, streaming] of cases) {
      it(name, () => {
        const method = synthetic(rule, streaming)
        expect(() => httpBindings([method])).toThrow(`google.api.http rule of synthetic.Svc/Call: `)
        expect(() => httpBindings([method])).toThrow(message)
      })
    }
    it('accepts the same shapes when they are valid', () => {
      const ok = synthetic({ pattern: { case: 'put', value: '/v1/{inner.id}/x:do' }, body: 'tags', responseBody: 'id' })
      expect(httpBindings([ok])).toMatchObject([{ verb: 'PUT', body: 'tags', responseBody: 'id', variables: ['inner.id'] }])
    })
  })
})

/** One method `synthetic.Svc/Call` carrying `rule`, built from descriptors at run time. */
function synthetic(rule: MessageInitShape<typeof HttpRuleSchema>, streaming: { client?: boolean; server?: boolean } = {}): DescMethod {
  const options = create(MethodOptionsSchema)
  setExtension(options, http, create(HttpRuleSchema, rule))
  const { STRING, MESSAGE } = FieldDescriptorProto_Type
  const { OPTIONAL, REPEATED } = FieldDescriptorProto_Label
  const file = create(FileDescriptorProtoSchema, {
    name: 'synthetic.proto',
    package: 'synthetic',
    syntax: 'proto3',
    messageType: [
      {
        name: 'Req',
        field: [
          { name: 'id', number: 1, type: STRING, label: OPTIONAL, jsonName: 'id' },
          { name: 'inner', number: 2, type: MESSAGE, typeName: '.synthetic.Inner', label: OPTIONAL, jsonName: 'inner' },
          { name: 'tags', number: 3, type: STRING, label: REPEATED, jsonName: 'tags' },
        ],
      },
      { name: 'Inner', field: [{ name: 'id', number: 1, type: STRING, label: OPTIONAL, jsonName: 'id' }] },
      { name: 'Res', field: [{ name: 'id', number: 1, type: STRING, label: OPTIONAL, jsonName: 'id' }] },
    ],
    service: [
      {
        name: 'Svc',
        method: [{ name: 'Call', inputType: '.synthetic.Req', outputType: '.synthetic.Res', options, clientStreaming: streaming.client ?? false, serverStreaming: streaming.server ?? false }],
      },
    ],
  })
  const service = createFileRegistry(file, () => undefined).getService('synthetic.Svc')
  if (!service?.methods[0]) throw new Error('synthetic service missing')
  return service.methods[0]
}
