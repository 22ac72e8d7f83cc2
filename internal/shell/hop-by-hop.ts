import { FieldList } from './field-list.ts'

/** Headers that describe one connection, not the message (RFC 9110 7.6.1), plus `expect`. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
])

/** The names listed in a `connection` header (lower-case), which are hop-by-hop too. */
function listedIn(connection: string | null): ReadonlySet<string> | undefined {
  if (!connection) return undefined
  // The usual values (`keep-alive`, `close`) name nothing beyond the fixed set: skip the split.
  const single = connection.toLowerCase()
  if (single === 'close' || HOP_BY_HOP.has(single)) return undefined
  return new Set(connection.split(',').map((name) => name.trim().toLowerCase()))
}

/**
 * Deletes hop-by-hop headers in place, including every header the `connection` header names.
 * One pass over the headers; deletes only what is there (usually nothing).
 */
export function stripHopByHop(headers: Headers): Headers {
  const listed = listedIn(headers.get('connection'))
  let doomed: string[] | undefined
  headers.forEach((_value, name) => {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) (doomed ??= []).push(name)
  })
  if (doomed) for (const name of doomed) headers.delete(name)
  return headers
}

/**
 * Which received fields (`name, value, ...`, names in any case) are hop-by-hop: the fixed set
 * plus whatever their `connection` field lists. Takes lower-case names.
 */
export function isHopByHop(received: readonly string[]): (name: string) => boolean {
  let connection: string | undefined
  for (let i = 0; i + 1 < received.length; i += 2) {
    const name = received[i]!
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      connection = connection === undefined ? received[i + 1]! : `${connection}, ${received[i + 1]!}`
    }
  }
  return hopByHopFor(connection)
}

const isFixedHopByHop = (name: string): boolean => HOP_BY_HOP.has(name)

/** The hop-by-hop test of a message whose `connection` field (joined) is `connection`. Takes lower-case names. */
export function hopByHopFor(connection: string | undefined): (name: string) => boolean {
  const listed = listedIn(connection ?? null)
  return listed ? (name) => HOP_BY_HOP.has(name) || listed.has(name) : isFixedHopByHop
}

/** The end-to-end fields of `headers` as a new FieldList (for runtimes whose requests only have Headers). */
export function endToEndFields(headers: Headers): FieldList {
  const flat: string[] = []
  headers.forEach((value, name) => {
    flat.push(name, value)
  })
  return FieldList.fromReceived(flat, isHopByHop(flat))
}

/**
 * The end-to-end fields of `headers` as a record (hop-by-hop ones left out), or undefined when a
 * name repeats (a record of strings cannot carry two `set-cookie` values; the caller copies the
 * Headers instead).
 */
export function endToEndRecord(headers: Headers): Record<string, string> | undefined {
  const hopByHop = hopByHopFor(headers.get('connection') ?? undefined)
  const fields: Record<string, string> = {}
  let repeated = false
  headers.forEach((value, name) => {
    if (hopByHop(name)) return
    if (Object.hasOwn(fields, name)) repeated = true
    else if (name === '__proto__') Object.defineProperty(fields, name, { value, enumerable: true, configurable: true, writable: true })
    else fields[name] = value
  })
  return repeated ? undefined : fields
}
