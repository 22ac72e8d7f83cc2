import { ScalarType } from '@bufbuild/protobuf'
import type { DescField, DescMessage, JsonObject, JsonValue } from '@bufbuild/protobuf'
import { GatewayError } from '../../../internal/shell/errors.ts'
import { didYouMean } from '../bundle/suggest.ts'
import { isRepeatedLeaf, isSingularLeaf, resolveFieldPath } from './field-path.ts'

/**
 * Path variables and query parameters as a proto3 JSON object, to merge into the request
 * message with `mergeFromJson` (so every value goes through the canonical JSON parser: int64,
 * enums by name or number, bytes as base64, timestamps...). Keys are the fields' JSON names.
 */

/** Which request fields the path and the body already set: the query cannot set those. */
export interface BoundFields {
  /** The path variables (dotted proto field paths). */
  readonly path: readonly string[]
  /** The rule's body: `*` binds every field, a field name binds that field. */
  readonly body: string | undefined
}

/** Adds a decoded path variable's value at its field path. */
export function assignPathValue(tree: JsonObject, input: DescMessage, variable: string, value: string): void {
  const chain = resolveFieldPath(input, variable)
  if ('reason' in chain) throw new Error(`path variable "${variable}": ${chain.reason}`) // validated in httpBindings
  assign(tree, chain, leafJson(chain.at(-1) as DescField, value, variable), variable)
}

/** Adds every query parameter; 400 INVALID_ARGUMENT naming the parameter for anything it cannot set. */
export function assignQuery(tree: JsonObject, input: DescMessage, query: URLSearchParams, bound: BoundFields): void {
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key)
    const chain = resolveFieldPath(input, key)
    if ('reason' in chain) {
      const hint = key.includes('.') ? '' : didYouMean(key, input.fields.flatMap((f) => [f.name, f.jsonName]))
      throw invalid(`unknown query parameter "${key}"${hint}: ${chain.reason}`)
    }
    const by = boundBy(chain, bound)
    if (by) throw invalid(`query parameter "${key}" sets a field that the ${by} already binds`)
    const field = chain.at(-1) as DescField
    if (isSingularLeaf(field)) {
      if (values.length > 1) throw invalid(`query parameter "${key}" is not repeated but was given ${values.length} times`)
      assign(tree, chain, leafJson(field, values[0] as string, key), key)
    } else if (isRepeatedLeaf(field)) {
      assign(tree, chain, values.map((v) => leafJson(field, v, key)), key)
    } else if (field.fieldKind === 'message') {
      throw invalid(`query parameter "${key}" names a message: set its fields ("${key}.<field>")`)
    } else {
      throw invalid(`query parameter "${key}" names a ${field.fieldKind === 'map' ? 'map' : 'repeated message'} field, which the query string cannot set`)
    }
  }
}

function boundBy(chain: readonly DescField[], bound: BoundFields): 'path' | 'body' | undefined {
  if (bound.body === '*' || bound.body === chain[0]?.name) return 'body'
  const path = chain.map((f) => f.name).join('.')
  const overlaps = (v: string) => v === path || v.startsWith(`${path}.`) || path.startsWith(`${v}.`)
  return bound.path.some(overlaps) ? 'path' : undefined
}

/** One string as the JSON the field's parser expects: bools and enum numbers are not strings in JSON. */
function leafJson(field: DescField, value: string, name: string): JsonValue {
  const isBool =
    (field.fieldKind === 'scalar' && field.scalar === ScalarType.BOOL) ||
    (field.fieldKind === 'list' && field.listKind === 'scalar' && field.scalar === ScalarType.BOOL) ||
    (field.fieldKind === 'message' && field.message.typeName === 'google.protobuf.BoolValue')
  if (isBool) {
    if (value === 'true' || value === 'false') return value === 'true'
    throw invalid(`"${name}": "${value}" is not a bool (true or false)`)
  }
  const isEnum = field.fieldKind === 'enum' || (field.fieldKind === 'list' && field.listKind === 'enum')
  if (isEnum && /^-?\d+$/.test(value)) return Number(value)
  return value
}

function assign(tree: JsonObject, chain: readonly DescField[], value: JsonValue, name: string): void {
  let node = tree
  for (const field of chain.slice(0, -1)) {
    const next = node[field.jsonName]
    if (next === undefined) node = node[field.jsonName] = {}
    else if (typeof next === 'object' && next !== null && !Array.isArray(next)) node = next
    else throw invalid(`"${name}" is set twice`)
  }
  const leaf = (chain.at(-1) as DescField).jsonName
  if (leaf in node) throw invalid(`"${name}" is set twice`)
  node[leaf] = value
}

function invalid(message: string): GatewayError {
  return new GatewayError('INVALID_ARGUMENT', message)
}
