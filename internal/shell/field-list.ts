/**
 * Header fields of a message this node builds (the request it sends upstream), without WHATWG
 * `Headers`. On Node 20, `Headers` is JavaScript with WebIDL conversions on every call and sorts
 * itself on every iteration; a proxied request copied and iterated it several times, which cost
 * more than the forwarding itself. `FieldList` is a flat `name, value, name, value` array with
 * lower-case names, in arrival order, handed to the runtime's client as it is.
 */

/** What policies and handlers may do to the headers sent upstream: `Headers` satisfies it too. */
export interface MutableFields {
  /** All values of `name` joined with `, `, or null. */
  get(name: string): string | null
  has(name: string): boolean
  /** Replaces every value of `name`. Throws TypeError on an invalid name or value, as Headers does. */
  set(name: string, value: string): void
  append(name: string, value: string): void
  delete(name: string): void
  forEach(callback: (value: string, name: string) => void): void
  /** `[name, value]` pairs (so `new Headers(fields)` and `Object.fromEntries(fields)` work). */
  [Symbol.iterator](): Iterator<[string, string]>
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** NUL, CR and LF can never be in a field value; surrounding whitespace is trimmed, as Headers does. */
const BAD_VALUE = /[\0\r\n]/
const EDGE_WHITESPACE = /^[\t ]+|[\t ]+$/g

export class FieldList implements MutableFields {
  readonly #flat: string[]

  /** `flat` is taken over, not copied; its names must already be lower-case and its values valid. */
  private constructor(flat: string[]) {
    this.#flat = flat
  }

  static empty(): FieldList {
    return new FieldList([])
  }

  /**
   * The fields of a parsed request (`name, value, ...` as the runtime received them, e.g. Node's
   * `rawHeaders`), names lower-cased, minus those `skip` rejects. The runtime's parser has already
   * refused invalid names and values.
   */
  static fromReceived(raw: readonly string[], skip: (name: string) => boolean): FieldList {
    const flat: string[] = []
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase()
      if (!skip(name)) flat.push(name, raw[i + 1]!)
    }
    return new FieldList(flat)
  }

  get(name: string): string | null {
    const key = name.toLowerCase()
    const flat = this.#flat
    let value: string | null = null
    for (let i = 0; i < flat.length; i += 2) {
      if (flat[i] === key) value = value === null ? flat[i + 1]! : `${value}, ${flat[i + 1]!}`
    }
    return value
  }

  has(name: string): boolean {
    const key = name.toLowerCase()
    const flat = this.#flat
    for (let i = 0; i < flat.length; i += 2) if (flat[i] === key) return true
    return false
  }

  set(name: string, value: string): void {
    this.replace(checkedName(name), checkedValue(name, value))
  }

  /**
   * `set` without the checks, for a lower-case name and a value known to be valid: made by this
   * node (ids, trace context) or already accepted by the runtime's HTTP parser.
   */
  replace(key: string, checked: string): void {
    const flat = this.#flat
    let at = -1
    for (let i = 0; i < flat.length; i += 2) {
      if (flat[i] !== key) continue
      if (at < 0) {
        at = i
        flat[i + 1] = checked
      } else {
        flat.splice(i, 2)
        i -= 2
      }
    }
    if (at < 0) flat.push(key, checked)
  }

  append(name: string, value: string): void {
    this.#flat.push(checkedName(name), checkedValue(name, value))
  }

  delete(name: string): void {
    const key = name.toLowerCase()
    const flat = this.#flat
    for (let i = flat.length - 2; i >= 0; i -= 2) if (flat[i] === key) flat.splice(i, 2)
  }

  forEach(callback: (value: string, name: string) => void): void {
    const flat = this.#flat
    for (let i = 0; i < flat.length; i += 2) callback(flat[i + 1]!, flat[i]!)
  }

  *[Symbol.iterator](): Iterator<[string, string]> {
    const flat = this.#flat
    for (let i = 0; i < flat.length; i += 2) yield [flat[i]!, flat[i + 1]!]
  }

  /** `name, value, ...`: the list itself (undici takes it as is). Callers must not modify it. */
  flat(): readonly string[] {
    return this.#flat
  }

  /**
   * The fields as a record, a repeated name's values joined with `, ` (as `Headers` joins them):
   * a fetch `HeadersInit` that Deno converts faster than pairs.
   */
  record(): Record<string, string> {
    const flat = this.#flat
    const out: Record<string, string> = {}
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i]!
      const seen = Object.hasOwn(out, name) ? out[name] : undefined
      const value = seen === undefined ? flat[i + 1]! : `${seen}, ${flat[i + 1]!}`
      if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, configurable: true, writable: true })
      else out[name] = value
    }
    return out
  }

  /** `[name, value]` pairs, for a fetch `HeadersInit`. */
  pairs(): [string, string][] {
    const flat = this.#flat
    const out: [string, string][] = []
    for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!])
    return out
  }
}

function checkedName(name: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`invalid header name "${name}"`)
  return name.toLowerCase()
}

function checkedValue(name: string, value: string): string {
  const v = String(value)
  if (BAD_VALUE.test(v)) throw new TypeError(`invalid value for header "${name}"`)
  const first = v.charCodeAt(0)
  const last = v.charCodeAt(v.length - 1)
  return first === 32 || first === 9 || last === 32 || last === 9 ? v.replace(EDGE_WHITESPACE, '') : v
}
