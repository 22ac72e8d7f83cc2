/**
 * Path templates in the `google.api.http` style: `/v1/items/{id}`, `/files/{rest=**}`,
 * `/v1/{name=buckets/*\/objects/*}`, plain `*` (one segment) and `**` (any number, last only).
 * Compiled once to a RegExp; matched against the raw (still percent-encoded) request path;
 * parameter values are returned decoded.
 */

export class PathTemplateError extends Error {
  override name = 'PathTemplateError'
}

export interface PathTemplate {
  readonly source: string
  /** Variable names in order of appearance. */
  readonly variables: readonly string[]
  /** Number of literal characters: more specific templates have more (used for diagnostics). */
  readonly literalLength: number
  /** Decoded parameters when `rawPath` matches, otherwise undefined. Throws URIError on bad escapes. */
  match(rawPath: string): Record<string, string> | undefined
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/
const LITERAL = /^[A-Za-z0-9\-._~!$&'()+,;=:@%]+$/

interface Piece {
  regex: string
  literal: number
  /** The piece ends in `**` (must be the last piece of the template). */
  multi: boolean
}

/** Compiles a template; throws PathTemplateError with a message that says what is wrong. */
export function parsePathTemplate(source: string): PathTemplate {
  if (!source.startsWith('/')) throw new PathTemplateError('a path template must start with "/"')
  if (source.includes('?')) throw new PathTemplateError('a path template must not contain a query ("?")')
  // A custom verb after a variable or wildcard (`/v1/{name=tasks/*}:cancel`); after a literal
  // it is simply part of the literal.
  const verbMatch = /^(.*[}*]):([A-Za-z][A-Za-z0-9_-]*)$/.exec(source)
  const verb = verbMatch ? `:${verbMatch[2]}` : ''
  const variables: string[] = []
  const pieces: Piece[] = []
  let rest = (verbMatch ? (verbMatch[1] as string) : source).slice(1)
  while (true) {
    if (pieces.at(-1)?.multi) throw new PathTemplateError('"**" may only stand in the last segment')
    if (rest.startsWith('{')) {
      const close = rest.indexOf('}')
      if (close < 0) throw new PathTemplateError('unclosed "{" in path template')
      const body = rest.slice(1, close)
      const eq = body.indexOf('=')
      const name = eq < 0 ? body : body.slice(0, eq)
      if (!VARIABLE_NAME.test(name)) throw new PathTemplateError(`invalid variable name "${name}"`)
      if (variables.includes(name)) throw new PathTemplateError(`variable "${name}" appears twice`)
      variables.push(name)
      const inner = eq < 0 ? ['*'] : body.slice(eq + 1).split('/')
      const innerPieces = inner.map((segment) => segmentPiece(segment, true))
      innerPieces.slice(0, -1).forEach((p) => {
        if (p.multi) throw new PathTemplateError('"**" may only stand in the last segment')
      })
      const multi = innerPieces.at(-1)?.multi ?? false
      const regex = innerPieces.map((p) => p.regex).join('/')
      pieces.push({ regex: `(${regex})`, literal: innerPieces.reduce((n, p) => n + p.literal, 0), multi })
      rest = rest.slice(close + 1)
      if (rest !== '' && !rest.startsWith('/')) throw new PathTemplateError('a variable must fill a whole segment')
    } else {
      const end = rest.indexOf('/')
      const segment = end < 0 ? rest : rest.slice(0, end)
      if (segment.includes('{') || segment.includes('}')) {
        throw new PathTemplateError('a variable must fill a whole segment')
      }
      pieces.push(segmentPiece(segment, false))
      rest = end < 0 ? '' : rest.slice(end)
    }
    if (rest === '') break
    rest = rest.slice(1) // the "/"
  }
  let pattern = ''
  for (const piece of pieces) {
    // `**` also matches zero segments, so its slash is optional: /files/{p=**} matches /files.
    pattern += piece.multi ? `(?:/${piece.regex})?` : `/${piece.regex}`
  }
  const regex = new RegExp(`^${pattern}${escapeRegExp(verb)}$`)
  const names = [...variables]
  return {
    source,
    variables: names,
    literalLength: pieces.reduce((n, p) => n + p.literal, 0),
    match(rawPath) {
      const m = regex.exec(rawPath)
      if (!m) return undefined
      const params: Record<string, string> = {}
      names.forEach((name, i) => {
        params[name] = decodeSegments(m[i + 1] ?? '')
      })
      return params
    },
  }
}

function segmentPiece(segment: string, inVariable: boolean): Piece {
  if (segment === '*') return { regex: '[^/]+', literal: 0, multi: false }
  if (segment === '**') return { regex: inVariable ? '.*' : '(?:.*)', literal: 0, multi: true }
  if (segment === '') {
    if (inVariable) throw new PathTemplateError('empty segment in variable pattern')
    return { regex: '', literal: 0, multi: false } // a trailing slash: "/v1/items/"
  }
  if (!LITERAL.test(segment)) throw new PathTemplateError(`invalid character in path segment "${segment}"`)
  return { regex: escapeRegExp(segment), literal: segment.length, multi: false }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Decodes each segment, keeping the separators ("a%2Fb/c" -> "a/b/c" is unavoidable and fine). */
function decodeSegments(value: string): string {
  return value.includes('%') ? value.split('/').map(decodeURIComponent).join('/') : value
}
