import type { InspectedValue } from './inspected-value.ts'
import { jsonValues } from './json-values.ts'
import { multipartBoundary, multipartValues } from './multipart-values.ts'
import { queryValues } from './request-values.ts'

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json$/
const TEXT_TYPE = /^(?:text\/[\w.+-]+|application\/(?:[\w.+-]*\+)?xml|application\/(?:javascript|graphql|x-yaml|yaml))$/

/**
 * Values of a body by its content type: JSON (string values and keys, by path), urlencoded
 * forms, multipart (fields and file names) and text-like types whole (`body`). Binary types
 * (octet-stream, images, protobuf, gRPC) are not inspected. A JSON body that does not parse
 * (e.g. cut at the inspection bound) is inspected as text. No content type at all: as text.
 */
export function bodyValues(contentType: string | null, text: string, into: InspectedValue[]): void {
  if (text === '') return
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (JSON_TYPE.test(type)) {
    let doc: unknown
    try {
      doc = JSON.parse(text)
    } catch {
      into.push({ collection: 'body', name: 'body', value: text })
      return
    }
    jsonValues(doc, into)
  } else if (type === 'application/x-www-form-urlencoded') {
    queryValues(text, into, 'body')
  } else if (type === 'multipart/form-data') {
    const boundary = multipartBoundary(contentType ?? '')
    if (boundary !== undefined) multipartValues(text, boundary, into)
    else into.push({ collection: 'body', name: 'body', value: text })
  } else if (type === '' || TEXT_TYPE.test(type)) {
    into.push({ collection: 'body', name: 'body', value: text })
  }
}
