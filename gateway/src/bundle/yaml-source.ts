/**
 * One policy file parsed with `yaml`, keeping the syntax tree so that any path inside the
 * document (`routes.0.match.path`) can be traced back to a file:line:column.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml'
import type { Document } from 'yaml'
import type { BundleProblem, SourceFile, SourceLocation } from './types.ts'

export type PathSegment = string | number

/** Point at the value at a path, or at its key (unknown or duplicate keys, bad names). */
export type Target = 'value' | 'key'

export interface ParsedFile {
  readonly path: string
  /** The document as plain data (`undefined` for an empty file). */
  readonly data: unknown
  /** Syntax errors; when there are any, `data` is not to be trusted. */
  readonly problems: readonly BundleProblem[]
  /** Where the node at `path` starts; the deepest node that exists when the path goes further. */
  locate(path: readonly PathSegment[], target?: Target): SourceLocation
}

interface Ranged {
  range?: readonly [number, number, number] | null
}

export function parseSource(file: SourceFile): ParsedFile {
  const lines = new LineCounter()
  const parsed = parseAllDocuments(file.text, { lineCounter: lines, prettyErrors: false })
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : []
  const doc = docs[0]
  const at = (offset: number): SourceLocation => {
    const { line, col } = lines.linePos(offset)
    return { file: file.path, line, column: col }
  }
  const problems: BundleProblem[] = []
  for (const d of docs) {
    for (const error of d.errors) {
      const message =
        error.code === 'DUPLICATE_KEY'
          ? `duplicate key "${file.text.slice(error.pos[0], error.pos[1])}"`
          : `invalid YAML: ${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}`
      problems.push({ location: at(error.pos[0]), path: '', message })
    }
  }
  const second = docs[1]
  if (second) {
    const message = 'a policy file holds one YAML document; remove the second "---" or split the file'
    problems.push({ location: at(second.range[0]), path: '', message })
  }
  let data: unknown
  if (doc && problems.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 100 })
    } catch (err) {
      problems.push({ location: at(0), path: '', message: `invalid YAML: ${(err as Error).message}` })
    }
  }

  function locate(path: readonly PathSegment[], target: Target = 'value'): SourceLocation {
    let node: unknown = doc?.contents
    let best: Ranged | undefined = node as Ranged | undefined
    for (const [i, segment] of path.entries()) {
      if (isAlias(node) && doc) node = node.resolve(doc)
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment))
        if (!pair) break
        const key = pair.key as Ranged
        const valueIsEmpty = pair.value === null || (isScalar(pair.value) && pair.value.value === null)
        best = (i === path.length - 1 && target === 'key') || valueIsEmpty ? key : (pair.value as Ranged)
        node = pair.value
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        node = node.items[segment]
        best = node as Ranged
      } else {
        break
      }
    }
    return at(best?.range?.[0] ?? 0)
  }

  return { path: file.path, data, problems, locate }
}
