import { headerEntries } from './header-entries.ts'
import type { HeaderEntry } from './header-entries.ts'
import type { CheckName } from './rule-spec.ts'

/** What the protocol checks need from the policy options. */
export interface ProtocolLimits {
  readonly allowedMethods: ReadonlySet<string>
  readonly maxHeaders: number
  readonly maxHeaderBytes: number
}

const DIGITS = /^\d{1,15}$/

/** What the checks read from the headers, gathered in one pass (each Headers access is costly). */
export interface HeaderFacts {
  readonly count: number
  readonly host: string | null
  readonly contentLength: string | null
  readonly transferEncoding: string | null
  /** The first header whose name and value exceed maxHeaderBytes. */
  readonly tooLarge: string | undefined
}

export function headerFacts(headers: readonly HeaderEntry[], limits: ProtocolLimits): HeaderFacts {
  let host: string | null = null
  let contentLength: string | null = null
  let transferEncoding: string | null = null
  let tooLarge: string | undefined
  for (const [key, value] of headers) {
    if (key === 'host') host = value
    else if (key === 'content-length') contentLength = value
    else if (key === 'transfer-encoding') transferEncoding = value
    if (tooLarge === undefined && key.length + value.length > limits.maxHeaderBytes) tooLarge = `headers.${key}`
  }
  return { count: headers.length, host, contentLength, transferEncoding, tooLarge }
}

/**
 * Runs one protocol check on a request. Returns the name of the offending value (what an
 * exclusion or an audit line names), or undefined when the request passes.
 */
export function runCheck(
  check: CheckName,
  req: Request,
  limits: ProtocolLimits,
  facts: HeaderFacts = headerFacts(headerEntries(req, undefined), limits),
): string | undefined {
  switch (check) {
    case 'method-not-allowed':
      return limits.allowedMethods.has(req.method) ? undefined : 'method'
    case 'host-missing':
      return (facts.host ?? '').trim() === '' ? 'headers.host' : undefined
    case 'content-length-with-transfer-encoding':
      return facts.contentLength !== null && facts.transferEncoding !== null ? 'headers.transfer-encoding' : undefined
    case 'transfer-encoding-invalid': {
      const te = facts.transferEncoding
      return te !== null && te.trim().toLowerCase() !== 'chunked' ? 'headers.transfer-encoding' : undefined
    }
    case 'content-length-invalid': {
      const cl = facts.contentLength
      return cl !== null && !DIGITS.test(cl.trim()) ? 'headers.content-length' : undefined
    }
    case 'too-many-headers':
      return facts.count > limits.maxHeaders ? 'headers' : undefined
    case 'header-too-large':
      return facts.tooLarge
  }
}
