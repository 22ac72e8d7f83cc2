import type { InspectedValue } from './inspected-value.ts'

const DISPOSITION = /^content-disposition:[^\r\n]*$/im
const PARAM = /;\s*(name|filename)\*?=\s*(?:"([^"]{0,1024})"|([^;\s]{0,1024}))/gi
const TEXT_PART = /^content-type:\s*(?:text\/|application\/(?:json|x-www-form-urlencoded|xml))/im

/**
 * Field values, field names and file names of a multipart/form-data body (or its inspected
 * prefix: a part cut off at the end is inspected as far as it goes). File contents are inspected
 * only when the part says it is text.
 */
export function multipartValues(text: string, boundary: string, into: InspectedValue[]): void {
  const delimiter = `--${boundary}`
  const parts = text.split(delimiter)
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] as string
    if (part.startsWith('--')) break
    const headerEnd = part.indexOf('\r\n\r\n')
    const head = headerEnd < 0 ? part : part.slice(0, headerEnd)
    let content = headerEnd < 0 ? '' : part.slice(headerEnd + 4)
    if (content.endsWith('\r\n')) content = content.slice(0, -2)
    const disposition = DISPOSITION.exec(head)?.[0] ?? ''
    let field: string | undefined
    let filename: string | undefined
    for (const m of disposition.matchAll(PARAM)) {
      const value = m[2] ?? m[3] ?? ''
      if ((m[1] as string).toLowerCase() === 'name') field = value
      else filename = value
    }
    const name = `body.${field ?? ''}`
    if (field !== undefined) into.push({ collection: 'body_names', name, value: field })
    if (filename !== undefined) {
      into.push({ collection: 'files', name: `files.${field ?? ''}`, value: filename })
      if (!TEXT_PART.test(head)) continue
    }
    if (content !== '') into.push({ collection: 'body', name, value: content })
  }
}

/** The boundary parameter of a multipart content type, if there is a usable one. */
export function multipartBoundary(contentType: string): string | undefined {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType)
  return m?.[1] ?? m?.[2]
}
