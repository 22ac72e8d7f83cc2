/** The bundle hash: SHA-256 over a canonical JSON (sorted keys, no formatting) of normalised content. */

/** JSON with object keys sorted at every level; Maps become objects, Sets arrays, URLs their href. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString())
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return 'null'
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (value instanceof Map) return canonicalJson(Object.fromEntries(value))
  if (value instanceof Set) return canonicalJson([...value])
  if (value instanceof RegExp) return JSON.stringify(String(value))
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON === 'function') return canonicalJson(toJSON.call(value))
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

/** Lower-case hex SHA-256 of the UTF-8 text, with WebCrypto (Node, Bun, Deno, workers). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}
