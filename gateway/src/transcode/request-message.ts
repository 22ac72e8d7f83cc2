import { create, fromJson, mergeFromJson } from '@bufbuild/protobuf'
import type { DescField, DescMessage, JsonObject, JsonValue, Message } from '@bufbuild/protobuf'
import { HttpBodySchema } from '../../../proto/gen/google/api/httpbody_pb.ts'
import { GatewayError } from '../../../internal/shell/errors.ts'
import { assignPathValue, assignQuery } from './field-values.ts'
import { HTTP_BODY, isRawField } from './field-path.ts'
import type { HttpBinding } from './http-rules.ts'
import { parseJsonBody, readBoundedBody } from './read-body.ts'

/** Streamed raw bodies are cut into messages of at most this many bytes (the storage role's chunk limit). */
export const MAX_CHUNK_BYTES = 1024 * 1024

/** What one HTTP request provides: the route's decoded path variables, its query and body. */
export interface HttpRequestParts {
  readonly params: Readonly<Record<string, string>>
  readonly query: URLSearchParams
  /** The request, for its headers (content-type, content-length). */
  readonly request: Request
  /** Its body (`requestStreamOf`: a policy may have read and replaced the client's). */
  readonly body: ReadableStream<Uint8Array> | null
  readonly maxBodyBytes: number
}

/** How a binding builds its request message(s); resolved once per binding. */
export interface RequestPlan {
  readonly binding: HttpBinding
  readonly input: DescMessage
  /** The body field (`body: "field"`), undefined for `*` or no body. */
  readonly bodyField: DescField | undefined
  /** The body is raw bytes (a `bytes` or google.api.HttpBody target), not JSON. */
  readonly raw: boolean
}

export function planRequest(binding: HttpBinding): RequestPlan {
  const input = binding.method.input
  const bodyField = binding.body && binding.body !== '*' ? input.fields.find((f) => f.name === binding.body) : undefined
  const raw = bodyField ? isRawField(bodyField) : binding.body === '*' && input.typeName === HTTP_BODY
  return { binding, input, bodyField, raw }
}

/** The request message of a unary or server-streaming call. */
export async function buildRequest(plan: RequestPlan, parts: HttpRequestParts): Promise<Message> {
  const tree = fieldTree(plan, parts)
  const { binding, input, bodyField } = plan
  let message: Message
  if (binding.body === undefined) {
    message = create(input)
  } else if (plan.raw) {
    message = create(input)
    const bytes = await readBoundedBody(parts.body, parts.request.headers.get('content-length'), parts.maxBodyBytes)
    setRaw(plan, message, bytes, parts.request.headers.get('content-type') ?? '')
  } else {
    const json = parseJsonBody(await readBoundedBody(parts.body, parts.request.headers.get('content-length'), parts.maxBodyBytes)) as JsonValue | undefined
    message = decode(input, bodyField ? (json === undefined ? {} : { [bodyField.jsonName]: json }) : (json ?? {}))
  }
  return merge(input, message, tree)
}

/**
 * The request messages of a client-streaming call. `body: "*"`: a JSON array, one message per
 * element, each with the path and query fields. `body: "field"`: a leading message with the path
 * and query fields (when there are any), then one message per JSON array element, or per chunk
 * of a raw body (streamed, not buffered).
 */
export async function buildRequestStream(plan: RequestPlan, parts: HttpRequestParts): Promise<AsyncIterable<Message>> {
  const tree = fieldTree(plan, parts)
  const { input, bodyField } = plan
  const leading = bodyField && Object.keys(tree).length > 0 ? [merge(input, create(input), tree)] : []
  if (plan.raw) return rawStream(plan, parts, leading)
  const json = parseJsonBody(await readBoundedBody(parts.body, parts.request.headers.get('content-length'), parts.maxBodyBytes)) ?? []
  if (!Array.isArray(json)) throw new GatewayError('INVALID_ARGUMENT', 'the body of a client-streaming method must be a JSON array of messages')
  const elements = json as JsonValue[]
  const messages = bodyField
    ? [...leading, ...elements.map((element) => decode(input, { [bodyField.jsonName]: element }))]
    : elements.map((element) => merge(input, decode(input, element), tree))
  return (async function* () {
    yield* messages
  })()
}

async function* rawStream(plan: RequestPlan, parts: HttpRequestParts, leading: Message[]): AsyncIterable<Message> {
  yield* leading
  if (!parts.body) return
  const contentType = parts.request.headers.get('content-type') ?? ''
  const reader = parts.body.getReader()
  try {
    for (;;) {
      const { done, value: chunk } = await reader.read()
      if (done) return
      for (let offset = 0; offset < chunk.byteLength; offset += MAX_CHUNK_BYTES) {
        const message = create(plan.input)
        setRaw(plan, message, chunk.subarray(offset, offset + MAX_CHUNK_BYTES), contentType)
        yield message
      }
    }
  } finally {
    reader.releaseLock()
  }
}

function fieldTree(plan: RequestPlan, parts: HttpRequestParts): JsonObject {
  const tree: JsonObject = {}
  for (const variable of plan.binding.variables) {
    const value = parts.params[variable]
    if (value !== undefined) assignPathValue(tree, plan.input, variable, value)
  }
  assignQuery(tree, plan.input, parts.query, { path: plan.binding.variables, body: plan.binding.body })
  return tree
}

function setRaw(plan: RequestPlan, message: Message, data: Uint8Array, contentType: string): void {
  const field = plan.bodyField
  if (!field) {
    Object.assign(message, { contentType, data }) // the request message is a google.api.HttpBody
    return
  }
  const value = field.fieldKind === 'message' ? create(HttpBodySchema, { contentType, data }) : data
  const target = message as unknown as Record<string, unknown>
  if (field.oneof) target[field.oneof.localName] = { case: field.localName, value }
  else target[field.localName] = value
}

function decode(input: DescMessage, json: JsonValue): Message {
  try {
    return fromJson(input, json)
  } catch (err) {
    throw new GatewayError('INVALID_ARGUMENT', `invalid request body: ${(err as Error).message}`)
  }
}

function merge(input: DescMessage, message: Message, tree: JsonObject): Message {
  if (Object.keys(tree).length === 0) return message
  try {
    return mergeFromJson(input, message, tree)
  } catch (err) {
    throw new GatewayError('INVALID_ARGUMENT', `invalid path or query value: ${(err as Error).message}`)
  }
}
