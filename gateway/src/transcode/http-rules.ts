import { getOption, hasOption } from '@bufbuild/protobuf'
import type { DescMethod } from '@bufbuild/protobuf'
import { http } from '../../../proto/gen/google/api/annotations_pb.ts'
import type { HttpRule } from '../../../proto/gen/google/api/http_pb.ts'
import { parsePathTemplate } from '../routing/path-template.ts'
import { isSingularLeaf, resolveFieldPath } from './field-path.ts'

/** One HTTP mapping of an RPC method: the rule itself or one of its `additional_bindings`. */
export interface HttpBinding {
  readonly method: DescMethod
  /** GET, POST, PUT, PATCH, DELETE, or a custom rule's `kind` (e.g. HEAD). */
  readonly verb: string
  /** The path template as written in the rule (google.api.http syntax). */
  readonly path: string
  /** `*` (the whole request message), a top-level field name, or undefined (no body). */
  readonly body: string | undefined
  /** A top-level field of the response that is the whole HTTP response body, or undefined. */
  readonly responseBody: string | undefined
  /** The variables of `path` (dotted field paths of the request). */
  readonly variables: readonly string[]
}

/** Whether a method carries a google.api.http rule with a pattern. */
export function hasHttpRule(method: DescMethod): boolean {
  return hasOption(method, http) && getOption(method, http).pattern.case !== undefined
}

/**
 * Every HTTP binding of the methods, in declaration order. Throws an Error naming the method
 * when a rule cannot be transcoded: a bad template, a variable or body that names no field (or
 * a field one string cannot set), a bidirectional stream, a client stream without a body.
 */
export function httpBindings(methods: readonly DescMethod[]): HttpBinding[] {
  const bindings: HttpBinding[] = []
  for (const method of methods) {
    if (!hasOption(method, http)) continue
    const rule = getOption(method, http)
    bindings.push(toBinding(method, rule))
    // Nested additional_bindings are not allowed by google.api.http; only one level is read.
    for (const extra of rule.additionalBindings) bindings.push(toBinding(method, extra))
  }
  return bindings
}

function toBinding(method: DescMethod, rule: HttpRule): HttpBinding {
  const where = `${method.parent.typeName}/${method.name}`
  const fail = (why: string): never => {
    throw new Error(`google.api.http rule of ${where}: ${why}`)
  }
  const pattern = rule.pattern
  if (pattern.case === undefined) return fail('no pattern (get, post, put, patch, delete or custom)')
  const verb = pattern.case === 'custom' ? pattern.value.kind.toUpperCase() : pattern.case.toUpperCase()
  const path = pattern.case === 'custom' ? pattern.value.path : pattern.value
  if (!/^[A-Z][A-Z0-9-]*$/.test(verb)) fail(`invalid HTTP method "${verb}"`)
  if (method.methodKind === 'bidi_streaming') fail('bidirectional streaming cannot be transcoded to HTTP/1.1 REST')
  let variables: readonly string[] = []
  try {
    variables = parsePathTemplate(path).variables
  } catch (err) {
    fail(`path "${path}": ${(err as Error).message}`)
  }
  for (const variable of variables) {
    const chain = resolveFieldPath(method.input, variable)
    if ('reason' in chain) fail(`path variable "${variable}": ${chain.reason}`)
    else if (!isSingularLeaf(chain.at(-1)!)) fail(`path variable "${variable}" must name a singular scalar or enum field`)
  }
  const body = rule.body === '' ? undefined : rule.body
  if (body !== undefined && body !== '*') {
    const field = method.input.fields.find((f) => f.name === body)
    if (!field) fail(`body "${body}": ${method.input.typeName} has no field "${body}"`)
    if (variables.some((v) => v === body)) fail(`body "${body}" is also a path variable`)
  }
  if (method.methodKind === 'client_streaming' && body === undefined) fail('a client-streaming method needs a body')
  const responseBody = rule.responseBody === '' ? undefined : rule.responseBody
  if (responseBody !== undefined && !method.output.fields.some((f) => f.name === responseBody)) {
    fail(`response_body "${responseBody}": ${method.output.typeName} has no field "${responseBody}"`)
  }
  return { method, verb, path, body, responseBody, variables }
}
