/**
 * Carries the guard's verdict (subject, peer address, request id) from the Hono middleware to
 * the Connect handler, which only sees request headers. The guard deletes any incoming copy
 * before setting it, so a caller cannot forge it.
 */
import type { CallSite } from './audit.ts'

export const CALL_SITE_HEADER = 'x-gatehouse-call-site'

export function writeCallSite(headers: Headers, site: CallSite): void {
  headers.delete(CALL_SITE_HEADER)
  headers.set(CALL_SITE_HEADER, encodeURIComponent(JSON.stringify(site)))
}

export function readCallSite(headers: Headers): CallSite {
  const raw = headers.get(CALL_SITE_HEADER)
  try {
    if (raw !== null) return JSON.parse(decodeURIComponent(raw)) as CallSite
  } catch {
    // fall through: never trust an unreadable value
  }
  return { subject: '', remoteAddress: '', requestId: '' }
}
