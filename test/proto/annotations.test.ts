// The contract read from the generated descriptors at run time: HTTP rules, idempotency levels,
// JSON/binary round trips, and error details carried by a Connect error.
import { create, equals, fromBinary, fromJson, getOption, hasOption, toBinary, toJson } from '@bufbuild/protobuf'
import type { DescField, DescMessage, DescMethod, DescService, MessageShape } from '@bufbuild/protobuf'
import { durationFromMs, MethodOptions_IdempotencyLevel, timestampFromDate } from '@bufbuild/protobuf/wkt'
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import {
  MetadataService,
  NotLeaderSchema,
  RecordEventType,
  StaleEpochSchema,
  WatchRecordsResponseSchema,
} from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { NodeRole, NodeSchema, RegistryService } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { ControlService } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import { Codec, ProcessingService, TaskSchema, TaskState } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import { ObjectSchema, PutObjectRequestSchema, StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { http } from '../../proto/gen/google/api/annotations_pb.ts'
import type { HttpRule } from '../../proto/gen/google/api/http_pb.ts'

const SERVICES: readonly DescService[] = [StorageService, ProcessingService, MetadataService, RegistryService, ControlService]
const METHODS: readonly DescMethod[] = SERVICES.flatMap((s) => s.methods)

/** The HTTP verb ("GET", "HEAD", ...) and path template of a rule. */
function route(rule: HttpRule): { verb: string; path: string } {
  const p = rule.pattern
  if (p.case === undefined) throw new Error('no pattern')
  if (p.case === 'custom') return { verb: p.value.kind, path: p.value.path }
  return { verb: p.case.toUpperCase(), path: p.value }
}

/** The field a dotted path ("header.bucket") names in a message, or undefined. */
function fieldAt(message: DescMessage, path: string): DescField | undefined {
  const [head, ...rest] = path.split('.')
  const field = message.fields.find((f) => f.name === head)
  if (!field || rest.length === 0) return field
  return field.fieldKind === 'message' ? fieldAt(field.message, rest.join('.')) : undefined
}

/** Methods that only read (ValidateBundle and DiffBundle compute an answer without changing anything). */
const READ = /^(Get|List|Head|Watch|ValidateBundle$|DiffBundle$)/
/** The methods that are safe to retry although they change state (deliberate, see proto/README.md). */
const IDEMPOTENT = [
  'StorageService.DeleteBucket',
  'StorageService.DeleteObject',
  'StorageService.CompleteUpload',
  'StorageService.AbortUpload',
  'ProcessingService.CancelTask',
  'MetadataService.DeleteRecord',
  'RegistryService.RegisterNode',
  'RegistryService.Heartbeat',
  'RegistryService.DeregisterNode',
  'ControlService.DrainNode',
  'ControlService.ReportNodeStatus',
]
const qualified = (m: DescMethod) => `${m.parent.name}.${m.name}`

describe('google.api.http rules', () => {
  it('are set on every method of every service', () => {
    expect(METHODS.length).toBe(40)
    const missing = METHODS.filter((m) => !hasOption(m, http) || getOption(m, http).pattern.case === undefined)
    expect(missing.map(qualified)).toEqual([])
  })

  it('read as expected for a few methods', () => {
    const rule = (m: DescMethod) => route(getOption(m, http))
    expect(rule(StorageService.method.getObject)).toEqual({ verb: 'GET', path: '/v1/buckets/{bucket}/objects/{key=**}' })
    expect(rule(StorageService.method.headObject)).toEqual({ verb: 'HEAD', path: '/v1/buckets/{bucket}/objects/{key=**}' })
    expect(getOption(StorageService.method.getObject, http).responseBody).toBe('chunk')
    expect(getOption(StorageService.method.putObject, http).body).toBe('chunk')
    expect(rule(ProcessingService.method.cancelTask)).toEqual({ verb: 'POST', path: '/v1/tasks/{task_id}:cancel' })
    expect(rule(MetadataService.method.putRecord)).toEqual({ verb: 'PUT', path: '/v1/records/{key=**}' })
    expect(rule(RegistryService.method.watchNodes)).toEqual({ verb: 'GET', path: '/v1/nodes:watch' })
  })

  it('bind path variables to string fields, and body / response_body to existing fields', () => {
    const problems: string[] = []
    for (const m of METHODS) {
      const rule = getOption(m, http)
      const { verb, path } = route(rule)
      for (const [, name] of path.matchAll(/\{([^}=]+)(?:=[^}]*)?\}/g)) {
        const field = fieldAt(m.input, name ?? '')
        if (field?.fieldKind !== 'scalar') problems.push(`${qualified(m)}: path variable {${name}} is not a scalar field`)
      }
      if (rule.body !== '' && rule.body !== '*' && !m.input.fields.some((f) => f.name === rule.body)) {
        problems.push(`${qualified(m)}: body "${rule.body}" is not a field`)
      }
      if (rule.responseBody !== '' && !m.output.fields.some((f) => f.name === rule.responseBody)) {
        problems.push(`${qualified(m)}: response_body "${rule.responseBody}" is not a field`)
      }
      if ((verb === 'GET' || verb === 'HEAD' || verb === 'DELETE') && rule.body !== '') {
        problems.push(`${qualified(m)}: ${verb} with a body`)
      }
      if ((verb === 'POST' || verb === 'PUT' || verb === 'PATCH') && rule.body === '') {
        problems.push(`${qualified(m)}: ${verb} without a body`)
      }
    }
    expect(problems).toEqual([])
  })

  it('are unique, and a route that another would shadow is declared before it', () => {
    const routes = METHODS.map((m) => ({ name: qualified(m), ...route(getOption(m, http)) }))
    const keys = routes.map((r) => `${r.verb} ${r.path}`)
    expect(new Set(keys).size).toBe(keys.length)
    // At the gateway a GET route also answers HEAD, and `{x=**}` also matches zero segments.
    const answers = (r: { verb: string }) => (r.verb === 'GET' ? ['GET', 'HEAD'] : [r.verb])
    const problems: string[] = []
    routes.forEach((first, i) => {
      const collection = /^(.*)\/\{[^}=]+=\*\*\}$/.exec(first.path)?.[1]
      for (const later of routes.slice(i + 1)) {
        const common = answers(first).some((v) => answers(later).includes(v))
        const eatsCollection = later.path === collection && common
        const eatsHead = later.path === first.path && first.verb === 'GET' && later.verb === 'HEAD'
        if (eatsCollection || eatsHead) problems.push(`${later.name} must be declared before ${first.name}`)
      }
    })
    expect(problems).toEqual([])
  })
})

describe('idempotency_level', () => {
  it('is NO_SIDE_EFFECTS on every read method (Get*, List*, Head*, Watch*, ValidateBundle, DiffBundle) and only there', () => {
    const reads = METHODS.filter((m) => READ.test(m.name))
    expect(reads.length).toBe(21)
    const wrong = METHODS.filter(
      (m) => (m.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS) !== READ.test(m.name),
    )
    expect(wrong.map(qualified)).toEqual([])
  })

  it('is IDEMPOTENT exactly on the writes that are safe to retry, never on client streams', () => {
    const idempotent = METHODS.filter((m) => m.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT)
    expect(idempotent.map(qualified)).toEqual(IDEMPOTENT)
    const streams = METHODS.filter((m) => m.methodKind === 'client_streaming')
    expect(streams.map(qualified)).toEqual(['StorageService.PutObject', 'StorageService.WriteUpload'])
    for (const m of streams) expect(m.idempotency).toBe(MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN)
  })
})

/** Binary and JSON round trips of `message`; returns its JSON. */
function roundTrip<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>) {
  expect(equals(schema, fromBinary(schema, toBinary(schema, message)), message)).toBe(true)
  const json = toJson(schema, message)
  expect(equals(schema, fromJson(schema, json), message)).toBe(true)
  return json
}

const SHA256 = new Uint8Array(32).map((_, i) => i)
const SHA256_BASE64 = btoa(String.fromCharCode(...SHA256))
const WHEN = new Date('2026-11-21T10:00:00.250Z')

describe('round trips through binary and JSON', () => {
  it('storage: Object and the first message of PutObject (int64 as strings, bytes as base64, optional 0 kept)', () => {
    const object = create(ObjectSchema, {
      bucket: 'photos',
      key: '2026/11/cat.jpg',
      size: 5_000_000_000n,
      sha256: SHA256,
      contentType: 'image/jpeg',
      createTime: timestampFromDate(WHEN),
      generation: 1_763_719_200_250_000n,
      etag: '"000102"',
    })
    expect(roundTrip(ObjectSchema, object)).toEqual({
      bucket: 'photos',
      key: '2026/11/cat.jpg',
      size: '5000000000',
      sha256: SHA256_BASE64,
      contentType: 'image/jpeg',
      createTime: '2026-11-21T10:00:00.250Z',
      generation: '1763719200250000',
      etag: '"000102"',
    })
    const put = create(PutObjectRequestSchema, {
      content: { case: 'header', value: { bucket: 'photos', key: 'a', sha256: SHA256, ifGenerationMatch: 0n } },
    })
    expect(roundTrip(PutObjectRequestSchema, put)).toEqual({
      header: { bucket: 'photos', key: 'a', sha256: SHA256_BASE64, ifGenerationMatch: '0' },
    })
  })

  it('processing: Task (oneof input, enums by name)', () => {
    const task = create(TaskSchema, {
      taskId: 't-1',
      input: { kind: { case: 'compressObject', value: { bucket: 'logs', key: 'app.log', codec: Codec.GZIP } } },
      state: TaskState.RUNNING,
      progress: { percent: 50, bytesDone: 1024n, bytesTotal: 2048n, message: 'compressing' },
      createTime: timestampFromDate(WHEN),
    })
    expect(roundTrip(TaskSchema, task)).toEqual({
      taskId: 't-1',
      input: { compressObject: { bucket: 'logs', key: 'app.log', codec: 'CODEC_GZIP' } },
      state: 'TASK_STATE_RUNNING',
      progress: { percent: 50, bytesDone: '1024', bytesTotal: '2048', message: 'compressing' },
      createTime: '2026-11-21T10:00:00.250Z',
    })
  })

  it('metadata: WatchRecordsResponse and a registry Node (Duration, map)', () => {
    const changes = create(WatchRecordsResponseSchema, {
      events: [
        { type: RecordEventType.PUT, record: { key: 'a/b', value: new TextEncoder().encode('hi'), version: 3n, modRevision: 42n } },
      ],
      header: { revision: 42n, epoch: 7n },
    })
    expect(roundTrip(WatchRecordsResponseSchema, changes)).toEqual({
      events: [{ type: 'RECORD_EVENT_TYPE_PUT', record: { key: 'a/b', value: 'aGk=', version: '3', modRevision: '42' } }],
      header: { revision: '42', epoch: '7' },
    })
    const node = create(NodeSchema, {
      nodeId: 'storage-1',
      role: NodeRole.STORAGE,
      address: 'http://127.0.0.1:7001',
      zone: 'a',
      labels: { disk: 'ssd' },
      ttl: durationFromMs(10_000),
    })
    expect(roundTrip(NodeSchema, node)).toEqual({
      nodeId: 'storage-1',
      role: 'NODE_ROLE_STORAGE',
      address: 'http://127.0.0.1:7001',
      zone: 'a',
      labels: { disk: 'ssd' },
      ttl: '10s',
    })
  })
})

describe('error details', () => {
  it('NotLeader and StaleEpoch reach a Connect client (in memory, over the Connect protocol)', async () => {
    const transport = createRouterTransport(({ service }) =>
      service(MetadataService, {
        getRecord() {
          throw new ConnectError('not the leader', Code.Unavailable, undefined, [
            { desc: NotLeaderSchema, value: { leaderAddress: 'http://10.0.0.7:7003', epoch: 7n } },
          ])
        },
        putRecord(req) {
          throw new ConnectError('stale epoch', Code.Aborted, undefined, [
            { desc: StaleEpochSchema, value: { currentEpoch: 8n, requestEpoch: req.epoch } },
          ])
        },
      }),
    )
    const client = createClient(MetadataService, transport)
    const notLeader = await client.getRecord({ key: 'a' }).catch((e: unknown) => ConnectError.from(e))
    expect(notLeader).toBeInstanceOf(ConnectError)
    expect((notLeader as ConnectError).code).toBe(Code.Unavailable)
    expect((notLeader as ConnectError).findDetails(NotLeaderSchema)).toMatchObject([
      { leaderAddress: 'http://10.0.0.7:7003', epoch: 7n },
    ])
    const stale = await client.putRecord({ key: 'a', epoch: 6n }).catch((e: unknown) => ConnectError.from(e))
    expect((stale as ConnectError).code).toBe(Code.Aborted)
    expect((stale as ConnectError).findDetails(StaleEpochSchema)).toMatchObject([{ currentEpoch: 8n, requestEpoch: 6n }])
  })
})
