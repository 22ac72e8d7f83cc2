import type { CheckName } from './rule-spec.ts'

/** What the protocol checks need from the policy options. */
export interface ProtocolLimits {
  readonly allowedMethods: ReadonlySet<string>
  readonly maxHeaders: number
  readonly maxHeaderBytes: number
}

const DIGITS = /^\d{1,15}$/

/**
 * Runs one protocol check on a request. Returns the name of the offending value (what an
 * exclusion or an audit line names), or undefined when the request passes.
 */
export function runCheck(check: CheckName, req: Request, limits: ProtocolLimits): string | undefined {
  const headers = req.headers
  switch (check) {
    case 'method-not-allowed':
      return limits.allowedMethods.has(req.method) ? undefined : 'method'
    case 'host-missing':
      return (headers.get('host') ?? '').trim() === '' ? 'headers.host' : undefined
    case 'content-length-with-transfer-encoding':
      return headers.has('content-length') && headers.has('transfer-encoding') ? 'headers.transfer-encoding' : undefined
    case 'transfer-encoding-invalid': {
      const te = headers.get('transfer-encoding')
      return te !== null && te.trim().toLowerCase() !== 'chunked' ? 'headers.transfer-encoding' : undefined
    }
    case 'content-length-invalid': {
      const cl = headers.get('content-length')
      return cl !== null && !DIGITS.test(cl.trim()) ? 'headers.content-length' : undefined
    }
    case 'too-many-headers': {
      let count = 0
      headers.forEach(() => void count++)
      return count > limits.maxHeaders ? 'headers' : undefined
    }
    case 'header-too-large': {
      let offender: string | undefined
      headers.forEach((value, key) => {
        if (offender === undefined && key.length + value.length > limits.maxHeaderBytes) offender = `headers.${key}`
      })
      return offender
    }
  }
}
