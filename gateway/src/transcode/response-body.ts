import { create, toJson } from '@bufbuild/protobuf'
import type { DescField, DescMessage, JsonValue, Message, Registry } from '@bufbuild/protobuf'
import type { HttpBody } from '../../../proto/gen/google/api/httpbody_pb.ts'
import { entityHeaders } from './entity-headers.ts'
import { fieldValue, HTTP_BODY, isRawField } from './field-path.ts'
import type { HttpBinding } from './http-rules.ts'

/** How a binding turns response messages into HTTP: JSON (whole or `response_body`) or raw bytes. */
export interface ResponsePlan {
  readonly output: DescMessage
  /** The `response_body` field, if any. */
  readonly field: DescField | undefined
  /** The HTTP body is raw bytes: a google.api.HttpBody or `bytes` response (field). */
  readonly raw: boolean
  readonly registry: Registry
}

export function planResponse(binding: HttpBinding, registry: Registry): ResponsePlan {
  const output = binding.method.output
  const field = binding.responseBody ? output.fields.find((f) => f.name === binding.responseBody) : undefined
  const raw = field ? isRawField(field) : output.typeName === HTTP_BODY
  return { output, field, raw, registry }
}

/** The raw bytes a message carries, with the content type of an HttpBody; undefined when it carries none. */
export function rawPart(plan: ResponsePlan, message: Message): { data: Uint8Array; contentType?: string } | undefined {
  const value = plan.field ? fieldValue(message, plan.field) : message
  if (value instanceof Uint8Array) return { data: value }
  if (value === undefined) return undefined
  const body = value as HttpBody
  return { data: body.data, contentType: body.contentType || undefined }
}

/** The canonical proto3 JSON of a message, or of its `response_body` field. */
export function jsonPart(plan: ResponsePlan, message: Message): JsonValue {
  const { field, registry } = plan
  if (!field) return toJson(plan.output, message, { registry })
  if (field.fieldKind === 'message') {
    const value = fieldValue(message, field) as Message | undefined
    return toJson(field.message, value ?? create(field.message), { registry })
  }
  const whole = toJson(plan.output, message, { registry, alwaysEmitImplicit: true }) as Record<string, JsonValue>
  return whole[field.jsonName] ?? null
}

/** The HTTP response of a unary (or client-streaming) call. */
export function unaryResponse(plan: ResponsePlan, message: Message, head: boolean): Response {
  const entity = plan.raw || head ? entityHeaders(message) : undefined
  if (plan.raw) {
    const part = rawPart(plan, message)
    const headers = { 'content-type': part?.contentType ?? 'application/octet-stream', ...entity }
    return new Response(head ? null : ((part?.data ?? new Uint8Array(0)) as BodyInit), { status: 200, headers })
  }
  const body = head ? null : JSON.stringify(jsonPart(plan, message))
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json', ...entity } })
}
