/**
 * Structured logs: one JSON line per request (access log) and per event (reloads, drain). Lines go
 * to a `LogSink` the runtime adapter provides; `createBatchingSink` turns many lines into few writes.
 */

export interface AccessLogEntry {
  time: string
  /** Written unescaped: a valid request id (trace-context.ts isValidRequestId) or a UUID. */
  requestId: string
  /** 32 hex digits, written unescaped. */
  traceId: string
  routeId: string
  method: string
  path: string
  status: number
  durationMs: number
  bytesIn?: number
  remote?: string
  error?: string
}

/**
 * Takes one log line, without its newline. A sink may also take access-log entries as they are
 * (`entry`), to write them without building the line as a string first.
 */
export type LogSink = ((line: string) => void) & { entry?(e: AccessLogEntry): void }

export interface BatchingSinkOptions {
  /** Write once the buffer holds this much (UTF-16 code units, i.e. bytes for ASCII). Default 16 KiB. */
  maxBytes?: number
  /** Write at most this long after the first buffered line. Default 20 ms. */
  flushMs?: number
}

export function createBatchingSink(
  write: (chunk: Uint8Array) => void,
  opts: BatchingSinkOptions = {},
): LogSink & { flush(): void; entry(e: AccessLogEntry): void } {
  const maxBytes = opts.maxBytes ?? 16 * 1024
  const flushMs = opts.flushMs ?? 20
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new TypeError('"maxBytes" must be a positive integer')
  if (!Number.isFinite(flushMs) || flushMs < 0) throw new TypeError('"flushMs" must be a non-negative number')
  // Lines are encoded straight into one byte buffer: no growing string per request, and the write
  // takes bytes as they are (a 16 KiB string concatenated line by line cost ~10 µs per request
  // on a loaded Node gateway, measured). A line longer than the buffer is written on its own.
  let buffer = new Uint8Array(maxBytes)
  let used = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  function flush(): void {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (used === 0) return
    const chunk = buffer.subarray(0, used)
    buffer = new Uint8Array(maxBytes) // the writer may keep the chunk (a pipe write is asynchronous)
    used = 0
    write(chunk)
  }

  function sink(line: string): void {
    // At most 3 bytes per UTF-16 unit, plus the newline.
    if (used + line.length * 3 + 1 > maxBytes) {
      flush()
      if (line.length * 3 + 1 > maxBytes) {
        write(encoder.encode(`${line}\n`))
        return
      }
    }
    used += encoder.encodeInto(line, buffer.subarray(used)).written
    buffer[used++] = 0x0a
    timer ??= setTimeout(flush, flushMs)
  }

  /**
   * The access-log line of `e`, written byte by byte into the buffer: no line string, no regex per
   * field (measured: formatting the line as a string was the access log's main cost on a loaded
   * Node gateway). A field that would need JSON escaping (or is not ASCII) falls back to the
   * string form, so both give the same bytes.
   */
  function entry(e: AccessLogEntry): void {
    const bound = ENTRY_FIXED_BYTES + e.time.length + e.requestId.length + e.traceId.length + e.routeId.length +
      e.method.length + e.path.length + (e.remote?.length ?? 0) + (e.error?.length ?? 0)
    if (used + bound + 1 > maxBytes) {
      flush()
      if (bound + 1 > maxBytes) return sink(formatAccessLog(e))
    }
    const b = buffer
    let at = key(b, used, K_TIME)
    at = ascii(b, at, e.time)
    at = ascii(b, key(b, at, K_REQUEST_ID), e.requestId)
    at = ascii(b, key(b, at, K_TRACE_ID), e.traceId)
    at = plain(b, key(b, at, K_ROUTE_ID), e.routeId)
    if (at >= 0) at = plain(b, key(b, at, K_METHOD), e.method)
    if (at >= 0) at = plain(b, key(b, at, K_PATH), e.path)
    if (at >= 0) at = digits(b, key(b, at, K_STATUS), e.status)
    if (at >= 0) at = hundredths(b, key(b, at, K_DURATION), e.durationMs)
    if (at >= 0 && e.bytesIn !== undefined) at = digits(b, key(b, at, K_BYTES_IN), e.bytesIn)
    if (at >= 0 && e.remote !== undefined) at = plain(b, key(b, at, K_REMOTE), e.remote, true)
    if (at >= 0 && e.error !== undefined) at = plain(b, key(b, at, K_ERROR), e.error, true)
    if (at < 0) return sink(formatAccessLog(e)) // a field needs escaping: the string form handles it
    b[at++] = 0x7d // }
    b[at++] = 0x0a
    used = at
    timer ??= setTimeout(flush, flushMs)
  }

  return Object.assign(sink, { flush, entry })
}

/** Bytes of an access-log line besides its variable fields (keys, quotes, numbers, closing). */
const ENTRY_FIXED_BYTES = 200

const encoder = new TextEncoder()

// The fixed parts of a line as bytes, copied with one `set` each.
const K_TIME = encoder.encode('{"time":"')
const K_REQUEST_ID = encoder.encode('","requestId":"')
const K_TRACE_ID = encoder.encode('","traceId":"')
const K_ROUTE_ID = encoder.encode('","routeId":"')
const K_METHOD = encoder.encode('","method":"')
const K_PATH = encoder.encode('","path":"')
const K_STATUS = encoder.encode('","status":')
const K_DURATION = encoder.encode(',"durationMs":')
const K_BYTES_IN = encoder.encode(',"bytesIn":')
const K_REMOTE = encoder.encode(',"remote":"')
const K_ERROR = encoder.encode(',"error":"')

/** Copies the fixed bytes `k` at `at`; returns the end. */
function key(b: Uint8Array, at: number, k: Uint8Array): number {
  b.set(k, at)
  return at + k.length
}

/** Writes `s` (known ASCII, nothing to escape) at `at`; returns the end. */
function ascii(b: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[at++] = s.charCodeAt(i)
  return at
}

/**
 * Writes `s` at `at` and, with `close`, its closing quote; returns the end, or -1 when `s` needs
 * JSON escaping or is not ASCII (the caller then writes the line as a string instead).
 */
function plain(b: Uint8Array, at: number, s: string, close = false): number {
  if (at < 0) return -1
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) return -1
    b[at++] = c
  }
  if (close) b[at++] = 0x22
  return at
}

/** Writes `n` in decimal at `at` (as `String(n)` would); returns the end. */
function digits(b: Uint8Array, at: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) return ascii(b, at, String(n))
  if (n === 0) {
    b[at++] = 0x30
    return at
  }
  let width = 0
  for (let m = n; m > 0; m = Math.floor(m / 10)) width++
  for (let i = at + width - 1; i >= at; i--, n = Math.floor(n / 10)) b[i] = 0x30 + (n % 10)
  return at + width
}

/** `Math.round(ms * 100) / 100` as JavaScript prints it (`12`, `1.5`, `0.05`), written at `at`. */
function hundredths(b: Uint8Array, at: number, ms: number): number {
  const h = Math.round(ms * 100)
  if (!Number.isSafeInteger(h) || h < 0) return ascii(b, at, String(h / 100))
  at = digits(b, at, Math.floor(h / 100))
  const frac = h % 100
  if (frac === 0) return at
  b[at++] = 0x2e // .
  b[at++] = 0x30 + Math.floor(frac / 10)
  if (frac % 10 !== 0) b[at++] = 0x30 + (frac % 10)
  return at
}


/** Characters JSON must escape, and anything non-ASCII (left to JSON.stringify to be safe). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/

/** A JSON string literal; plain ASCII (ids, hex, most paths) skips JSON.stringify. */
function quote(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`
}

let lastMs = NaN
let lastIso = ''

/** `new Date().toISOString()`, computed once per millisecond: many requests share one (the access log's `time`). */
export function isoNow(): string {
  const ms = Date.now()
  if (ms !== lastMs) {
    lastMs = ms
    lastIso = new Date(ms).toISOString()
  }
  return lastIso
}

/**
 * The access-log line: fixed key order, absent optional fields omitted, durationMs to 0.01.
 * Built as a string (no intermediate object): this runs once per request.
 */
export function formatAccessLog(e: AccessLogEntry): string {
  // time (ISO 8601), requestId (validated or made: [A-Za-z0-9._:@/+=-]) and traceId (hex) never need escaping.
  let line = `{"time":"${e.time}","requestId":"${e.requestId}","traceId":"${e.traceId}","routeId":${quote(e.routeId)},"method":${quote(e.method)},"path":${quote(e.path)},"status":${e.status},"durationMs":${Math.round(e.durationMs * 100) / 100}`
  if (e.bytesIn !== undefined) line += `,"bytesIn":${e.bytesIn}`
  if (e.remote !== undefined) line += `,"remote":${quote(e.remote)}`
  if (e.error !== undefined) line += `,"error":${quote(e.error)}`
  return `${line}}`
}

export type LogLevel = 'info' | 'warn' | 'error'
export type LogFields = Readonly<Record<string, unknown>>

export interface Logger {
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

const RESERVED = new Set(['time', 'level', 'node', 'msg'])

/**
 * A logger for events (not requests): `{"time","level","node","msg",...fields}` per line. An Error
 * in `fields` is logged as `{name, message}`; its stack only for `error(msg, { err })`. Fields named
 * like the fixed keys are dropped. A line that cannot be serialized still logs `msg`.
 */
export function createLogger(sink: LogSink, node: string): Logger {
  function log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, node, msg }
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        if (!RESERVED.has(key)) line[key] = value instanceof Error ? describe(value, level === 'error' && key === 'err') : value
      }
    }
    let text: string
    try {
      text = JSON.stringify(line)
    } catch {
      text = JSON.stringify({ time: line.time, level, node, msg, logError: 'fields could not be serialized' })
    }
    sink(text)
  }
  return {
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
  }
}

function describe(err: Error, withStack: boolean): { name: string; message: string; stack?: string } {
  return withStack && err.stack !== undefined
    ? { name: err.name, message: err.message, stack: err.stack }
    : { name: err.name, message: err.message }
}
