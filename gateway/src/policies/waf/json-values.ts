import type { InspectedValue } from './inspected-value.ts'

/** Refuses to walk absurd documents; the body is already bounded, this bounds the work per value. */
const MAX_VALUES = 10_000

/**
 * Every string value and every key of a parsed JSON document, named by its path
 * (`body.items[0].text`). Keys are inspected as their path without the `body.` prefix, so
 * `{"constructor":{"prototype":{}}}` shows `constructor.prototype`. Iterative: depth is no limit.
 */
export function jsonValues(doc: unknown, into: InspectedValue[]): void {
  const stack: [unknown, string][] = [[doc, '']]
  let count = 0
  while (stack.length > 0 && count < MAX_VALUES) {
    const [node, path] = stack.pop() as [unknown, string]
    count++
    if (typeof node === 'string') {
      into.push({ collection: 'body', name: path === '' ? 'body' : `body${path}`, value: node })
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push([node[i], `${path}[${i}]`])
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        const child = `${path}.${key}`
        into.push({ collection: 'body_names', name: `body${child}`, value: child.slice(1) })
        stack.push([value, child])
      }
    }
  }
}
