import { ScalarType } from '@bufbuild/protobuf'
import type { DescField, DescMessage } from '@bufbuild/protobuf'

/** The message type of google.api.HttpBody: a raw HTTP body with its content type. */
export const HTTP_BODY = 'google.api.HttpBody'

/**
 * Well-known types whose JSON form is a single string, number or bool: they can be set from one
 * path or query value (`?start=2026-01-01T00:00:00Z`, `?timeout=1.5s`).
 */
const SCALAR_LIKE = new Set([
  'google.protobuf.Timestamp',
  'google.protobuf.Duration',
  'google.protobuf.FieldMask',
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.BoolValue',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
])

/** A message field whose value is one scalar in JSON (see SCALAR_LIKE). */
export function isScalarLike(message: DescMessage): boolean {
  return SCALAR_LIKE.has(message.typeName)
}

/** A field by its proto name or its JSON name. */
export function fieldNamed(message: DescMessage, name: string): DescField | undefined {
  return message.fields.find((f) => f.name === name) ?? message.fields.find((f) => f.jsonName === name)
}

/**
 * The chain of fields a dotted path (`header.bucket`) names, from the outermost. Every step but
 * the last must be a singular message field. Returns a reason instead when the path is invalid.
 */
export function resolveFieldPath(message: DescMessage, path: string): DescField[] | { reason: string } {
  const chain: DescField[] = []
  let current: DescMessage | undefined = message
  for (const part of path.split('.')) {
    if (!current) return { reason: `"${chain.map((f) => f.name).join('.')}" is not a message` }
    const field = fieldNamed(current, part)
    if (!field) return { reason: `${current.typeName} has no field "${part}"` }
    chain.push(field)
    current = field.fieldKind === 'message' && !isScalarLike(field.message) ? field.message : undefined
  }
  return chain
}

/** The kind of value one string can set: singular scalars, enums and scalar-like messages. */
export function isSingularLeaf(field: DescField): boolean {
  return field.fieldKind === 'scalar' || field.fieldKind === 'enum' || (field.fieldKind === 'message' && isScalarLike(field.message))
}

/** Repeated scalars and enums, set by repeating a query key. */
export function isRepeatedLeaf(field: DescField): boolean {
  return field.fieldKind === 'list' && (field.listKind === 'scalar' || field.listKind === 'enum')
}

/** A field the transcoder fills with raw bytes instead of JSON: `bytes` or google.api.HttpBody. */
export function isRawField(field: DescField): boolean {
  if (field.fieldKind === 'scalar') return field.scalar === ScalarType.BYTES
  return field.fieldKind === 'message' && field.message.typeName === HTTP_BODY
}

/** A field's value in a message (a oneof member only when it is the selected case). */
export function fieldValue(message: object, field: DescField): unknown {
  const target = message as Record<string, unknown>
  if (!field.oneof) return target[field.localName]
  const selected = target[field.oneof.localName] as { case: string | undefined; value?: unknown } | undefined
  return selected?.case === field.localName ? selected.value : undefined
}
